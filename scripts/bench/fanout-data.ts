/**
 * The fan-out benchmark's data: WorkloadEndpoint-like values over 10 clusters and the synthetic
 * syncer that loads them into a cache and changes them at a fixed rate.
 *
 * Design: values are a pure function of the endpoint index (and an optional extra label), so a
 * second cache (the decoding case, the restarted cache of the reconnect storm) loaded by a fresh
 * syncer holds exactly the same KVs with the same revisions, as a restarted pod reading the same
 * datastore would.
 */
import type { KVUpdate, WorkloadEndpoint } from '@cattail/model'
import type { SnapshotCache } from '@cattail/cache'

/** Clusters the endpoints are spread over (keys prefixed `c<n>/`). */
export const CLUSTERS = 10
const TIERS = ['frontend', 'backend', 'db', 'cache', 'worker']
const ENVS = ['prod', 'staging', 'dev']

/** Wall-clock ms with sub-ms precision, comparable across the benchmark's processes. */
export const epochNow = (): number => performance.timeOrigin + performance.now()

/** The value of endpoint `i` in `cluster` (plus `extra` labels). */
export function wepValue(
  i: number,
  cluster: number,
  extra: Record<string, string> = {}
): WorkloadEndpoint {
  const ns = `ns-${i % 50}`
  const pre = `c${cluster}/`
  const hex = (i * 2654435761).toString(16).padStart(8, '0').slice(-8)
  return {
    kind: 'WorkloadEndpoint',
    metadata: {
      name: `node-${i % 1000}-k8s-wep--${i}-eth0`,
      namespace: ns,
      labels: {
        app: `app-${i % 200}`,
        tier: TIERS[i % TIERS.length] as string,
        env: ENVS[i % ENVS.length] as string,
        version: `v${i % 6}`,
        'pod-template-hash': hex,
        'projectcalico.org/namespace': ns,
        'projectcalico.org/orchestrator': 'k8s',
        'projectcalico.org/serviceaccount': 'default',
        ...extra,
      },
    },
    spec: {
      orchestrator: 'k8s',
      node: `${pre}node-${i % 1000}`,
      pod: `wep-${i}`,
      endpoint: 'eth0',
      ipNetworks: [`198.19.${(i >> 8) & 255}.${i & 255}/32`],
      profiles: [`${pre}kns.${ns}`, `${pre}ksa.${ns}.default`],
      interfaceName: `cali${hex}abc`,
    },
  }
}

/** The key and cluster of endpoint `i`. */
export const keyOf = (i: number): { key: string; cluster: number } => {
  const cluster = i % CLUSTERS
  return {
    key: `c${cluster}/WorkloadEndpoint/ns-${i % 50}/node-${i % 1000}-k8s-wep--${i}-eth0`,
    cluster,
  }
}

/** The synthetic syncer: loads endpoints, then changes random ones at a fixed rate. */
export class SyntheticSyncer {
  #rev = 0
  constructor(private readonly cache: SnapshotCache) {}

  /** Loads `n` endpoints in batches of 1,000, then reports in-sync. */
  load(n: number): void {
    this.cache.onStatus('resync-in-progress')
    for (let start = 0; start < n; start += 1000) {
      const batch: KVUpdate[] = []
      for (let i = start; i < Math.min(n, start + 1000); i++) {
        const { key, cluster } = keyOf(i)
        batch.push({ key, value: wepValue(i, cluster), revision: String(++this.#rev) })
      }
      this.cache.onUpdates(batch)
      this.cache.flush()
    }
    this.cache.onStatus('in-sync')
    this.cache.flush()
  }

  /** Changes `n` random endpoints of the first `endpoints`; each carries its send time (`ts`). */
  change(n: number, endpoints: number): void {
    const batch: KVUpdate[] = []
    for (let k = 0; k < n; k++) {
      const i = Math.floor(Math.random() * endpoints)
      const { key, cluster } = keyOf(i)
      batch.push({
        key,
        value: wepValue(i, cluster, { ts: epochNow().toFixed(3) }),
        revision: String(++this.#rev),
      })
    }
    this.cache.onUpdates(batch)
  }
}

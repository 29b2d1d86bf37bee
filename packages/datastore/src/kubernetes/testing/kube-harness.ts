/**
 * Test harness of the kubernetes driver over @cattail/testapi: native object forms for the
 * contract suite and tuning with short timeouts. Used only by tests.
 */
import type { Resource, ResourceKind } from '@cattail/model'
import { type KubeObject, type TestApiServer, startTestApiServer } from '@cattail/testapi'
import type { SyncerCallbacks, SyncerOptions } from '../../syncer.js'
import type { SyncerHarness } from '../../testing/contract.js'
import { KubeSyncer } from '../kube-syncer.js'
import { DEFAULT_REFLECTOR_CONFIG, type ReflectorConfig } from '../reflector.js'

/** Short timeouts and backoff for tests. */
export const TEST_TUNING: ReflectorConfig = {
  ...DEFAULT_REFLECTOR_CONFIG,
  watchTimeoutMinS: 30,
  watchTimeoutMaxS: 60,
  inactivityTimeoutMs: 10_000,
  minWatchDurationMs: 200,
  requestTimeoutMs: 5000,
  backoff: { initialMs: 20, maxMs: 300, factor: 2, jitter: 0.2 },
}

const RESOURCE_IDS: Partial<Record<ResourceKind, string>> = {
  IPPool: 'ippools.crd.projectcalico.org',
  IPAMBlock: 'ipamblocks.crd.projectcalico.org',
  HostEndpoint: 'hostendpoints.crd.projectcalico.org',
  NetworkPolicy: 'networkpolicies.crd.projectcalico.org',
  GlobalNetworkPolicy: 'globalnetworkpolicies.crd.projectcalico.org',
  Tier: 'tiers.crd.projectcalico.org',
  RemoteClusterConfiguration: 'remoteclusterconfigurations.crd.projectcalico.org',
  Secret: 'secrets',
}

/** The testapi resource id (`ippools.crd.projectcalico.org`) storing `kind`. */
export function resourceIdOf(kind: ResourceKind): string {
  const id = RESOURCE_IDS[kind]
  if (id === undefined) throw new Error(`test harness: no native form for ${kind}`)
  return id
}

/** A model resource in its Kubernetes form (CRD object, or a Secret with base64 data). */
export function toNative(r: Resource): KubeObject {
  const metadata = { ...r.metadata } as KubeObject['metadata']
  if (r.kind === 'Secret') {
    const data: Record<string, string> = {}
    for (const [k, v] of Object.entries(r.spec.data)) data[k] = Buffer.from(v).toString('base64')
    return { apiVersion: 'v1', kind: 'Secret', metadata, data }
  }
  return { apiVersion: 'crd.projectcalico.org/v1', kind: r.kind, metadata, spec: r.spec }
}

/** A driver harness over a fresh test API server. */
export interface KubeHarness extends SyncerHarness {
  readonly api: TestApiServer
}

/** Starts a test API server and wraps it for `runSyncerContract`. */
export async function makeKubeHarness(
  tuning: ReflectorConfig = TEST_TUNING,
  server: Parameters<typeof startTestApiServer>[0] = { bookmarkIntervalMs: 200 }
): Promise<KubeHarness> {
  const api = await startTestApiServer(server)
  return {
    api,
    capabilities: { writeWhileStopped: true },
    createSyncer: (opts: SyncerOptions, callbacks: SyncerCallbacks) =>
      new KubeSyncer(
        { type: 'kubernetes', kubeconfig: { kind: 'inline', contents: api.kubeconfig() } },
        opts,
        callbacks,
        tuning
      ),
    put: (r) => {
      api.put(resourceIdOf(r.kind), toNative(r))
      return Promise.resolve()
    },
    putRaw: (kind, name, namespace, raw) => {
      const o = (typeof raw === 'object' && raw !== null ? raw : {}) as KubeObject
      api.put(resourceIdOf(kind), {
        ...o,
        metadata: { ...o.metadata, name, ...(namespace !== undefined && { namespace }) },
      })
      return Promise.resolve()
    },
    remove: (kind, name, namespace) => {
      api.remove(resourceIdOf(kind), name, namespace)
      return Promise.resolve()
    },
    stopServer: () => api.stop(),
    startServer: () => api.restart(),
    compact: async (during) => {
      await api.stop()
      await during()
      api.compact()
      await api.restart()
    },
    close: () => api.stop(),
  }
}

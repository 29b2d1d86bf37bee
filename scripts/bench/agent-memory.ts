/**
 * Benchmark: the memory one agent needs to hold a large mesh.
 *
 * A cache process (a fork of this file, `--role=cache`) loads N endpoints (default 100,000) spread
 * over 10 clusters (cluster 0 local, 1–9 remote, keys prefixed), plus their nodes (10 endpoints
 * per node), one IP pool per cluster and one /26 IPAM block per node, and serves them with the
 * real SyncServer on 127.0.0.1. This process is the agent: its real sync source
 * (`createSyncSource`: SyncClient + the agent's projection), feeding the VXLAN manager and calc
 * (the kernel driver replaced by the test fake: no dataplane). RSS (after gc) is read before the
 * source starts and after the agent is in sync and the calc has run; the growth divided by N is
 * the figure. The values carry what a real datastore sends (annotations, uid, status-like
 * fields) so the projection's effect is part of the measurement; the pods of one Deployment (an
 * app in a namespace, 100 pods each at full size) share their labels, as in a real cluster.
 *
 * Target (full size, see TARGETS): ≤ 1 KiB of agent RSS per endpoint. `--quick` (10,000
 * endpoints) reports but does not enforce it (common.ts): fixed costs weigh more at small N.
 *
 * Usage: npm run bench -- agent-memory [--quick] [--endpoints N]
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createSilentLogger } from '@cattail/common'
import type { KVUpdate, Resource } from '@cattail/model'
import {
  DEFAULT_AGENT_CONFIG,
  VxlanManager,
  createSyncSource,
  type AgentConfig,
} from '@cattail/agent'
import { FakeVxlanDriver } from '@cattail/agent/testing'
import {
  DEFAULT_SNAPSHOT_CACHE_CONFIG,
  DEFAULT_SYNC_SERVER_CONFIG,
  SnapshotCache,
  SyncServer,
  encodeCachedKv,
} from '@cattail/cache'
import { isQuick, numberArg } from './args.js'
import { finish, printTable, runBench, type Target } from './common.js'

const TARGETS: readonly Target[] = [{ figure: 'rss_bytes_per_endpoint', op: '<=', limit: 1024 }]
const CLUSTERS = 10
const PER_NODE = 10
const TIERS = ['frontend', 'backend', 'db', 'cache', 'worker']

interface Options {
  readonly quick: boolean
  readonly endpoints: number
}

function parseArgs(argv: readonly string[]): Options {
  const quick = isQuick(argv)
  return { quick, endpoints: numberArg(argv, 'endpoints', quick ? 10_000 : 100_000, true) }
}

const ip4 = (n: number): string =>
  `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
const prefix = (c: number): string => (c === 0 ? '' : `c${c}/`)

/** Everything the cache serves: endpoints, nodes, pools, blocks of every cluster. */
function* mesh(endpoints: number): Generator<KVUpdate> {
  const nodes = Math.ceil(endpoints / PER_NODE)
  let rev = 0
  const kv = (key: string, value: Resource): KVUpdate => ({ key, value, revision: String(++rev) })
  for (let c = 0; c < CLUSTERS; c++) {
    const cidr = `10.${c}.0.0/16`
    yield kv(`${prefix(c)}IPPool/default-ipv4-ippool`, {
      kind: 'IPPool',
      metadata: { name: 'default-ipv4-ippool', uid: `pool-${c}`, resourceVersion: '1' },
      spec: {
        cidr,
        vxlanMode: 'Always',
        ipipMode: 'Never',
        natOutgoing: true,
        disabled: false,
        blockSize: 26,
      },
    })
  }
  for (let n = 0; n < nodes; n++) {
    const c = n % CLUSTERS
    const name = `node-${n}`
    const base = (((10 << 24) | (c << 16)) >>> 0) + Math.floor(n / CLUSTERS) * 64
    yield kv(`${prefix(c)}Node/${name}`, {
      kind: 'Node',
      metadata: {
        name,
        uid: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
        resourceVersion: String(rev),
        creationTimestamp: '2026-11-01T00:00:00Z',
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' },
        annotations: { 'projectcalico.org/kube-labels': '{"kubernetes.io/os":"linux"}' },
      },
      spec: {
        bgp: { ipv4Address: `${ip4(((198 << 24) | (18 << 16) | (n + 2)) >>> 0)}/15` },
        ipv4VXLANTunnelAddr: ip4(base),
        vxlanTunnelMACAddr: `66:ca:${[24, 16, 8, 0].map((s) => ((n >>> s) & 255).toString(16).padStart(2, '0')).join(':')}`,
      },
    })
    const blockCidr = `${ip4(base)}/26`
    const allocations: (number | null)[] = Array.from({ length: 64 }, () => null)
    const attributes = [
      {
        handle_id: `vxlan-tunnel-addr-${name}`,
        secondary: { node: name, type: 'vxlanTunnelAddress' },
      },
    ]
    allocations[0] = 0
    for (let k = 1; k <= PER_NODE; k++) {
      allocations[k] = k
      attributes.push({ handle_id: `k8s-pod-network.${k}`, secondary: { node: name, type: 'pod' } })
    }
    yield kv(`${prefix(c)}IPAMBlock/${blockCidr.replace(/[./]/g, '-')}`, {
      kind: 'IPAMBlock',
      metadata: { name: blockCidr.replace(/[./]/g, '-'), resourceVersion: String(rev) },
      spec: {
        cidr: blockCidr,
        affinity: `host:${name}`,
        allocations,
        unallocated: Array.from({ length: 64 - PER_NODE - 1 }, (_, k) => PER_NODE + 1 + k),
        attributes,
        strictAffinity: false,
      },
    })
  }
  for (let i = 0; i < endpoints; i++) {
    const n = Math.floor(i / PER_NODE)
    const c = n % CLUSTERS
    const ns = `ns-${i % 200}`
    const node = `node-${n}`
    const hex = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0')
    // One Deployment per (app, namespace): its pods share the pod-template-hash, as in a cluster.
    const rs = (((i % 1000) * 2654435761) >>> 0).toString(16).padStart(10, '0')
    const name = `${node}-k8s-app--${i % 500}--${rs}--${hex.slice(0, 5)}-eth0`
    const base = (((10 << 24) | (c << 16)) >>> 0) + Math.floor(n / CLUSTERS) * 64
    yield kv(`${prefix(c)}WorkloadEndpoint/${ns}/${name}`, {
      kind: 'WorkloadEndpoint',
      metadata: {
        name,
        namespace: ns,
        uid: `${hex}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
        resourceVersion: String(rev),
        creationTimestamp: '2026-11-01T00:00:00Z',
        labels: {
          app: `app-${i % 500}`,
          tier: TIERS[i % TIERS.length]!,
          version: `v${i % 6}`,
          'pod-template-hash': rs,
          'projectcalico.org/namespace': ns,
          'projectcalico.org/orchestrator': 'k8s',
          'projectcalico.org/serviceaccount': 'default',
        },
        annotations: {
          'cni.projectcalico.org/containerID': `${hex}${hex}${hex}${hex}`,
          'cni.projectcalico.org/podIP': `${ip4(base + 1 + (i % PER_NODE))}/32`,
        },
      },
      spec: {
        orchestrator: 'k8s',
        node,
        containerID: `${hex}${hex}${hex}${hex}${hex}${hex}${hex}${hex}`,
        pod: `app-${i % 500}-${rs}-${hex.slice(0, 5)}`,
        endpoint: 'eth0',
        serviceAccountName: 'default',
        ipNetworks: [`${ip4(base + 1 + (i % PER_NODE))}/32`],
        profiles: [`kns.${ns}`, `ksa.${ns}.default`],
        interfaceName: `cali${hex}${hex.slice(0, 3)}`,
        mac: `ee:ee:ee:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`,
        ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
      },
    })
  }
}

// ---------------------------------------------------------------- the cache process

async function runCache(endpoints: number): Promise<void> {
  const log = createSilentLogger()
  const cache = new SnapshotCache(DEFAULT_SNAPSHOT_CACHE_CONFIG, encodeCachedKv, log)
  cache.onStatus('resync-in-progress')
  let batch: KVUpdate[] = []
  for (const u of mesh(endpoints)) {
    batch.push(u)
    if (batch.length === 1000) {
      cache.onUpdates(batch)
      cache.flush()
      batch = []
    }
  }
  cache.onUpdates(batch)
  cache.onStatus('in-sync')
  cache.flush()
  const server = new SyncServer(
    { ...DEFAULT_SYNC_SERVER_CONFIG, host: '127.0.0.1', port: 0 },
    cache,
    log
  )
  await server.start()
  process.send?.({ port: server.port })
  process.on('message', () => {
    void server.stop().then(() => {
      cache.stop()
      process.exit(0)
    })
  })
}

// ---------------------------------------------------------------- the agent (this process)

function getGc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2))
  const gc = getGc()
  const child = fork(fileURLToPath(import.meta.url), ['--role=cache', String(o.endpoints)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  try {
    const [ready] = (await once(child, 'message')) as [{ port: number }]
    const log = createSilentLogger()
    const driver = new FakeVxlanDriver()
    gc()
    gc()
    const m0 = process.memoryUsage()
    const rss0 = m0.rss
    const heap0 = m0.heapUsed
    const manager = new VxlanManager('node-0', driver, log)
    let received = 0
    let inSync!: () => void
    const synced = new Promise<void>((resolve) => (inSync = resolve))
    const cfg: AgentConfig = {
      ...DEFAULT_AGENT_CONFIG,
      nodeName: 'node-0',
      cacheAddresses: [`ws://127.0.0.1:${ready.port}`],
      cacheService: undefined,
    }
    const t0 = performance.now()
    const source = await createSyncSource(
      cfg,
      {
        onUpdates: (us) => {
          received += us.length
          for (const u of us) manager.onUpdate(u)
        },
        onStatus: (status, connected) => {
          if (status === 'in-sync' && connected) inSync()
        },
      },
      log
    )
    await source.start()
    await synced
    manager.completeDeferredWork()
    const syncMs = performance.now() - t0
    gc()
    gc()
    const m1 = process.memoryUsage()
    const rss1 = m1.rss
    const heap1 = m1.heapUsed
    const held = source.client.state.size
    const vteps = driver.desired?.remotes.size ?? 0
    await source.stop()

    const rssPer = (rss1 - rss0) / o.endpoints
    const heapPer = (heap1 - heap0) / o.endpoints
    printTable(`agent memory benchmark${o.quick ? ' (--quick)' : ''}`, [
      [
        'endpoints / clusters / nodes',
        `${o.endpoints} / ${CLUSTERS} / ${Math.ceil(o.endpoints / PER_NODE)}`,
      ],
      ['KVs received / held by the sync client', `${received} / ${held}`],
      ['remote VTEPs computed by the calc', `${vteps}`],
      ['time to in sync + calc', `${Math.round(syncMs)} ms`],
      ['agent RSS growth', `${((rss1 - rss0) / 1048576).toFixed(1)} MiB`],
      ['agent heap growth (used)', `${((heap1 - heap0) / 1048576).toFixed(1)} MiB`],
      [
        'agent heap growth (committed) / external',
        `${((m1.heapTotal - m0.heapTotal) / 1048576).toFixed(1)} MiB / ${((m1.external - m0.external) / 1048576).toFixed(1)} MiB`,
      ],
      ['RSS per endpoint', `${Math.round(rssPer)} B`],
      ['heap per endpoint', `${Math.round(heapPer)} B`],
    ])
    finish(
      'agent-memory',
      {
        endpoints: o.endpoints,
        kvs_held: held,
        vteps,
        sync_ms: Math.round(syncMs),
        rss_bytes_per_endpoint: Math.round(rssPer),
        heap_bytes_per_endpoint: Math.round(heapPer),
        heap_committed_bytes_per_endpoint: Math.round((m1.heapTotal - m0.heapTotal) / o.endpoints),
      },
      TARGETS,
      o.quick
    )
  } finally {
    child.send('stop')
    await once(child, 'exit')
  }
}

const roleAt = process.argv.indexOf('--role=cache')
if (roleAt >= 0) {
  runCache(Number(process.argv[roleAt + 1])).catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
} else {
  runBench(main)
}

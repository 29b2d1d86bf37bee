/**
 * Benchmark: the memory one agent needs to hold a large mesh, with the agent run as shipped.
 *
 * A cache process (a fork of this file, `--role=cache`) loads the mesh of agent-memory-mesh.ts —
 * N endpoints (default 100,000) over 10 clusters, their nodes, pools and blocks — and serves it
 * with the real SyncServer on 127.0.0.1. Each agent is a fresh process (agent-memory-agent.ts):
 * the real sync source (SyncClient + the agent's projection) feeding the VXLAN manager and the
 * policy calc, as the daemon feeds them (no kernel programmed). Two sides, alternated, `--reps`
 * each against the same cache:
 * - shipped: the agent's production environment, `AGENT_RUNTIME_ENV` (@cattail/agent, the one
 *   constant the DaemonSet's test also checks: V8 flags through NODE_OPTIONS, glibc malloc
 *   settings);
 * - node defaults: the same agent with none of them, to show what the settings buy and cost
 *   (memory and sync_ms).
 * RSS is read before the source starts (after gc), once the agent is in sync and both calcs have
 * run (after gc: the "peak" figure), and again after 10 s of idleness, which is how an agent in
 * sync spends its time (V8's memory reducer returns the pages the snapshot's garbage left pooled
 * only then): that settled growth divided by N is the figure, with the heap used / committed, the
 * resident glibc brk heap and the other anonymous mappings beside it. Set
 * AGENT_MEMORY_SNAPSHOT=<file> to get a heap snapshot of the shipped agent once settled.
 *
 * Target (full size, see TARGETS): ≤ 1 KiB of settled agent RSS per endpoint, as shipped (median).
 * `--quick` (10,000 endpoints) reports but does not enforce it (common.ts): fixed costs weigh more
 * at small N.
 *
 * Usage: npm run bench -- agent-memory [--quick] [--endpoints N] [--reps N]
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createSilentLogger } from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import { AGENT_RUNTIME_ENV } from '@cattail/agent'
import {
  DEFAULT_SNAPSHOT_CACHE_CONFIG,
  DEFAULT_SYNC_SERVER_CONFIG,
  SnapshotCache,
  SyncServer,
  encodeCachedKvTransient,
} from '@cattail/cache'
import type { AgentReport, MemoryReading } from './agent-memory-agent.js'
import { CLUSTERS, PER_NODE, mesh } from './agent-memory-mesh.js'
import { isQuick, numberArg } from './args.js'
import {
  alternate,
  finish,
  fmtSummary,
  printTable,
  runBench,
  summarize,
  type Side,
  type Target,
} from './common.js'

const TARGETS: readonly Target[] = [{ figure: 'rss_bytes_per_endpoint', op: '<=', limit: 1024 }]

interface Options {
  readonly quick: boolean
  readonly endpoints: number
  readonly reps: number
}

function parseArgs(argv: readonly string[]): Options {
  const quick = isQuick(argv)
  return {
    quick,
    endpoints: numberArg(argv, 'endpoints', quick ? 10_000 : 100_000, true),
    reps: numberArg(argv, 'reps', quick ? 2 : 3, true),
  }
}

// ---------------------------------------------------------------- the cache process

async function runCache(endpoints: number): Promise<void> {
  const log = createSilentLogger()
  const cache = new SnapshotCache(DEFAULT_SNAPSHOT_CACHE_CONFIG, encodeCachedKvTransient, log)
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

// ---------------------------------------------------------------- the agents

const agentScript = fileURLToPath(new URL('./agent-memory-agent.ts', import.meta.url))

/** Runs one agent process with `env` added to a environment cleared of the settings under test. */
async function runAgent(
  port: number,
  endpoints: number,
  env: Record<string, string>,
  shipped: boolean
): Promise<AgentReport> {
  const base = { ...process.env }
  for (const k of Object.keys(AGENT_RUNTIME_ENV)) delete base[k]
  if (!shipped) delete base['AGENT_MEMORY_SNAPSHOT']
  const child = fork(agentScript, [String(port), String(endpoints)], {
    execArgv: ['--conditions=source', '--import', 'tsx'],
    env: { ...base, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let report: AgentReport | undefined
  child.on('message', (m) => (report = m as AgentReport))
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0 || report === undefined) throw new Error(`agent process failed (exit ${code})`)
  return report
}

const per = (r: AgentReport, n: number, f: (m: MemoryReading) => number): number =>
  (f(r.after) - f(r.before)) / n
const peakPer = (r: AgentReport, n: number): number => (r.synced.rss - r.before.rss) / n
const MiB = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2))
  const n = o.endpoints
  const cache = fork(fileURLToPath(import.meta.url), ['--role=cache', String(n)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  try {
    const [ready] = (await once(cache, 'message')) as [{ port: number }]
    const sides: Side<AgentReport>[] = [
      { name: 'shipped', run: () => runAgent(ready.port, n, { ...AGENT_RUNTIME_ENV }, true) },
      { name: 'node defaults', run: () => runAgent(ready.port, n, {}, false) },
    ]
    const results = await alternate(o.reps, sides)
    const shipped = results.get('shipped')!
    const defaults = results.get('node defaults')!
    const med = (rs: readonly AgentReport[], f: (r: AgentReport) => number): number =>
      summarize(rs.map(f)).median
    const fig = (rs: readonly AgentReport[], f: (m: MemoryReading) => number): number =>
      Math.round(med(rs, (r) => per(r, n, f)))
    const first = shipped[0]!
    const rows: string[][] = [
      ['endpoints / clusters / nodes', `${n} / ${CLUSTERS} / ${Math.ceil(n / PER_NODE)}`],
      ['KVs received / held by the sync client', `${first.received} / ${first.held}`],
      ['remote VTEPs / local workload routes', `${first.vteps} / ${first.routes}`],
      [
        'shipped environment',
        Object.entries(AGENT_RUNTIME_ENV)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
      ],
    ]
    for (const [name, rs] of [
      ['shipped', shipped],
      ['node defaults', defaults],
    ] as const) {
      const s = (f: (r: AgentReport) => number, unit: string, d = 0): string =>
        fmtSummary(summarize(rs.map(f)), unit, d)
      rows.push(
        [`${name}: time to in sync + calc`, s((r) => r.syncMs, ' ms')],
        [`${name}: RSS per endpoint, right after sync (gc)`, s((r) => peakPer(r, n), ' B')],
        [`${name}: RSS per endpoint, settled`, s((r) => per(r, n, (m) => m.rss), ' B')],
        [`${name}:   heap used per endpoint`, s((r) => per(r, n, (m) => m.heapUsed), ' B')],
        [`${name}:   heap committed per endpoint`, s((r) => per(r, n, (m) => m.heapTotal), ' B')],
        [`${name}:   malloc brk heap per endpoint`, s((r) => per(r, n, (m) => m.brk), ' B')],
        [
          `${name}:   anonymous mappings beyond the heap per endpoint`,
          s((r) => per(r, n, (m) => m.anon - m.heapTotal), ' B'),
        ],
        [`${name}: young generation, settled`, MiB(med(rs, (r) => r.after.newSpace))],
        [`${name}: RSS growth`, MiB(med(rs, (r) => r.after.rss - r.before.rss))]
      )
    }
    printTable(`agent memory benchmark${o.quick ? ' (--quick)' : ''}`, rows)
    finish(
      'agent-memory',
      {
        endpoints: n,
        reps: o.reps,
        kvs_held: first.held,
        vteps: first.vteps,
        sync_ms: Math.round(med(shipped, (r) => r.syncMs)),
        rss_bytes_per_endpoint: fig(shipped, (m) => m.rss),
        rss_peak_bytes_per_endpoint: Math.round(med(shipped, (r) => peakPer(r, n))),
        heap_bytes_per_endpoint: fig(shipped, (m) => m.heapUsed),
        heap_committed_bytes_per_endpoint: fig(shipped, (m) => m.heapTotal),
        brk_bytes_per_endpoint: fig(shipped, (m) => m.brk),
        sync_ms_node_defaults: Math.round(med(defaults, (r) => r.syncMs)),
        rss_bytes_per_endpoint_node_defaults: fig(defaults, (m) => m.rss),
        rss_peak_bytes_per_endpoint_node_defaults: Math.round(med(defaults, (r) => peakPer(r, n))),
        heap_committed_bytes_per_endpoint_node_defaults: fig(defaults, (m) => m.heapTotal),
      },
      TARGETS,
      o.quick
    )
  } finally {
    cache.send('stop')
    await once(cache, 'exit')
  }
}

const roleAt = process.argv.indexOf('--role=cache')
if (roleAt >= 0) {
  // The cache process ends with its parent (the IPC channel closes when the main process exits).
  process.on('disconnect', () => process.exit(1))
  runCache(Number(process.argv[roleAt + 1])).catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
} else {
  runBench(main)
}

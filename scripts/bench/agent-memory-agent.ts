/**
 * The agent of the agent-memory benchmark, run in its own process (forked by agent-memory.ts with
 * the environment under test): the real sync source (`createSyncSource`: SyncClient + the agent's
 * projection) feeding the VXLAN manager (its calc; the kernel driver replaced by the test fake)
 * and the policy calc, as the daemon feeds them. No dataplane is programmed.
 *
 * It reads its memory before the source starts (after V8's last-resort gc), once it is in sync and both calcs have
 * run (after gc), and again after {@link SETTLE_MS} of idleness and a gc (V8's memory reducer returns the
 * pages the snapshot's garbage left pooled only then), and sends the readings to its parent over
 * IPC.
 *
 * Usage (by agent-memory.ts only): fork with argv `<port> <endpoints>`; with the environment
 * variable AGENT_MEMORY_SNAPSHOT=<file> it also writes a heap snapshot once settled (to see what
 * the heap holds: retained sizes per type).
 */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createSilentLogger } from '@cattail/common'
import {
  DEFAULT_AGENT_CONFIG,
  VxlanManager,
  createPolicyCalc,
  createSyncSource,
  type AgentConfig,
} from '@cattail/agent'
import { FakeVxlanDriver } from '@cattail/agent/testing'

/** How long the agent idles after sync before its memory is read, ms. */
export const SETTLE_MS = 10_000

/** One reading of the agent process's memory, bytes. */
export interface MemoryReading {
  readonly rss: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
  readonly arrayBuffers: number
  /** Committed size of V8's young generation (new space). */
  readonly newSpace: number
  /** Resident bytes of glibc's brk heap (`[heap]` in /proc/self/smaps). */
  readonly brk: number
  /** Resident bytes of anonymous mappings (V8's pages, large mallocs, thread stacks). */
  readonly anon: number
}

/** What the agent process reports to its parent. */
export interface AgentReport {
  /** Before the source starts (after gc). */
  readonly before: MemoryReading
  /** In sync, both calcs run, after gc. */
  readonly synced: MemoryReading
  /** The same, {@link SETTLE_MS} of idleness later. */
  readonly after: MemoryReading
  readonly syncMs: number
  readonly received: number
  readonly held: number
  readonly vteps: number
  /** Workload routes the policy calc wants (the local node's endpoints). */
  readonly routes: number
}

function resident(): { brk: number; anon: number } {
  let brk = 0
  let anon = 0
  let kind: 'brk' | 'anon' | 'other' = 'other'
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (head !== null) {
      const name = head[1] ?? ''
      kind = name === '[heap]' ? 'brk' : name === '' ? 'anon' : 'other'
      continue
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    if (rss === null) continue
    if (kind === 'brk') brk += Number(rss[1]) * 1024
    else if (kind === 'anon') anon += Number(rss[1]) * 1024
  }
  return { brk, anon }
}

function reading(): MemoryReading {
  const m = process.memoryUsage()
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    newSpace: young?.space_size ?? 0,
    ...resident(),
  }
}

async function run(port: number): Promise<AgentReport> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const log = createSilentLogger()
  // The baseline without the start-up's garbage: V8's "last resort" collection (what it does
  // under memory pressure) also shrinks the young generation and returns pooled pages, so both
  // sides start from their smallest heap.
  const lastResort = gc as unknown as (o: object) => void
  const driver = new FakeVxlanDriver()
  lastResort({ type: 'major', execution: 'sync', flavor: 'last-resort' })
  const before = reading()
  const manager = new VxlanManager('node-0', driver, log)
  const policy = createPolicyCalc({ nodeName: 'node-0' })
  let received = 0
  let inSync!: () => void
  const inSyncNow = new Promise<void>((resolve) => (inSync = resolve))
  const cfg: AgentConfig = {
    ...DEFAULT_AGENT_CONFIG,
    nodeName: 'node-0',
    cacheAddresses: [`ws://127.0.0.1:${port}`],
    cacheService: undefined,
  }
  const t0 = performance.now()
  const source = await createSyncSource(
    cfg,
    {
      onUpdates: (us) => {
        received += us.length
        for (const u of us) {
          manager.onUpdate(u)
          policy.onUpdate(u)
        }
      },
      onStatus: (status, connected) => {
        if (status === 'in-sync' && connected) inSync()
      },
    },
    log
  )
  await source.start()
  await inSyncNow
  manager.completeDeferredWork()
  policy.takeChanges()
  const desired = policy.desired()
  const syncMs = performance.now() - t0
  gc()
  gc()
  const synced = reading()
  // Idle, as an agent in sync is: V8's memory reducer returns freed and pooled pages ~8 s after
  // the last major GC; then gc again, so that the reading holds no floating garbage.
  await sleep(SETTLE_MS)
  gc()
  gc()
  const after = reading()
  if (process.env['AGENT_MEMORY_SNAPSHOT'] !== undefined)
    writeHeapSnapshot(process.env['AGENT_MEMORY_SNAPSHOT'])
  const report: AgentReport = {
    before,
    synced,
    after,
    syncMs,
    received,
    held: source.client.digests.size,
    vteps: driver.desired?.remotes.size ?? 0,
    routes: desired.workloadRoutes.length,
  }
  await source.stop()
  return report
}

const [port] = process.argv.slice(2).map(Number)
// Ends with the benchmark's main process (the IPC channel closes when it exits).
process.on('disconnect', () => process.exit(1))
run(port ?? 0).then(
  (report) => process.send?.(report, () => process.exit(0)),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  }
)

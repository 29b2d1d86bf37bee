/**
 * The fan-out benchmark's decoding phases (main process side): the cold case with real
 * SyncClients against its like-for-like raw baseline, then the reconnect storm.
 *
 * Design:
 * - W decoding workers (fanout-decode-worker.ts) hold the C clients, C/W each: one process
 *   cannot decode C snapshots, and C agents have C CPUs, so the figure is CPU-bound on a small
 *   machine (2 cores: the workers and the cache share them) and is reported as it is.
 * - cold decode, per repetition: a fresh cache and SyncServer; the C SyncClients connect and get
 *   their ServerHello while the cache is empty; then the synthetic syncer loads it. The clock
 *   runs from the cache reaching in-sync (snapshot encoding and compression inside the timer)
 *   until the last client holds exactly N KVs and got in-sync.
 * - raw decode, alternated with it: the same workers open C plain TCP sockets, the server
 *   answers once all asked (the clock starts there) and replays the exact frames a SyncClient
 *   received from the cache (fanout-raw.ts); each socket decodes every frame with the same
 *   `decodeFrame`. The ratio per repetition isolates cache + WebSocket + SyncClient (state,
 *   projection, diff) overhead over "the same bytes and the same unpacking on raw sockets".
 * - storm, after the last repetition: the cache process state is thrown away (SyncServer
 *   stopped: every connection cut; cache stopped) and a new cache and server start on the same
 *   port in the order the cache daemon uses (server listening, then the syncer loads the same
 *   data), as after a pod restart. The clients reconnect on their own (their backoff and
 *   jitter). The clock runs from the new cache reaching in-sync until the last client is in sync
 *   again; `storm_total_ms` from the cut. The new cache has a new epoch, so resuming is refused
 *   and each client re-snapshots; the counts say what happened. With C clients on a few cores,
 *   many attempts time out on the client side (a worker's event loop is busy decoding other
 *   clients' snapshots when the ServerHello or the next frame is due; a real agent has its own
 *   CPU): the clients retry through their backoff as agents would, and the table lists failed
 *   attempts by reason so that this is visible in the figure.
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { createSilentLogger } from '@cattail/common'
import {
  DEFAULT_SNAPSHOT_CACHE_CONFIG,
  DEFAULT_SYNC_SERVER_CONFIG,
  SnapshotCache,
  SyncServer,
  encodeCachedKvTransient,
} from '@cattail/cache'
import { fmtSummary, r2, summarize } from './common.js'
import { SyntheticSyncer, epochNow } from './fanout-data.js'
import type { StormReply, SyncReply } from './fanout-decode-worker.js'
import { ChildProcessLink, HOST, progress } from './fanout-load.js'
import { captureFrames, rawFrameServer } from './fanout-raw.js'

/** Sizes of the decoding phases. */
export interface DecodeOptions {
  readonly endpoints: number
  readonly clients: number
  readonly workers: number
  readonly reps: number
  readonly highWaterBytes: number
  /** Longest wait for all clients (per phase), ms. */
  readonly timeoutMs: number
}

/** The sizes the table and the JSON line report (the benchmark's options). */
export interface DecodeSizes {
  readonly decodeEndpoints: number
  readonly decodeClients: number
  readonly workers: number
  readonly decodeReps: number
}

/** Default worker count: one per core, at least two. */
export const defaultWorkers = (): number => Math.max(2, availableParallelism())

/** What the decoding phases measured. */
export interface DecodeResult {
  readonly coldMs: number[]
  /** CPU time the clients spent in the agent's projection, per cold repetition (all workers). */
  readonly coldProjectMs: number[]
  readonly rawMs: number[]
  readonly ratios: number[]
  readonly frames: number
  readonly frameBytes: number
  /** Largest peak RSS of one worker (bytes). */
  readonly workerPeakRss: number
  readonly storm: {
    readonly resyncMs: number
    readonly totalMs: number
    readonly resumed: number
    readonly resnapshotted: number
    readonly failed: number
    readonly changes: number
    readonly attempts: number
    readonly projectMs: number
    /** Why attempts failed (error message → count over all clients). */
    readonly failures: Readonly<Record<string, number>>
  }
}

interface Cache {
  readonly cache: SnapshotCache
  readonly server: SyncServer
}

async function startCache(port: number, highWaterBytes: number): Promise<Cache> {
  const log = createSilentLogger()
  const cache = new SnapshotCache(DEFAULT_SNAPSHOT_CACHE_CONFIG, encodeCachedKvTransient, log)
  const server = new SyncServer(
    { ...DEFAULT_SYNC_SERVER_CONFIG, host: HOST, port, highWaterBytes },
    cache,
    log
  )
  await server.start()
  return { cache, server }
}

async function stopCache(c: Cache | undefined): Promise<void> {
  if (c === undefined) return
  await c.server.stop()
  c.cache.stop()
}

function countFailures(rs: readonly StormReply[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of rs) for (const [k, n] of Object.entries(r.failures)) out[k] = (out[k] ?? 0) + n
  return out
}

/** Runs the cold decode vs raw decode repetitions, then the storm. */
export async function runDecodePhases(o: DecodeOptions): Promise<DecodeResult> {
  const entry = fileURLToPath(new URL('./fanout.ts', import.meta.url))
  const workers = await Promise.all(
    Array.from({ length: o.workers }, async () => {
      const child = fork(entry, ['--role=decode'], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      await once(child, 'message')
      return new ChildProcessLink(child)
    })
  )
  const share = (w: number): { first: number; clients: number } => {
    const base = Math.floor(o.clients / o.workers)
    const extra = o.clients % o.workers
    return { first: w * base + Math.min(w, extra), clients: base + (w < extra ? 1 : 0) }
  }
  const all = <T extends SyncReply>(msg: (w: number) => Record<string, unknown>): Promise<T[]> =>
    Promise.all(workers.map((l, w) => l.ask<T>(msg(w))))
  const check = (what: string, r: { bad: number; failed: number }): void => {
    if (r.bad > 0 || r.failed > 0)
      throw new Error(`${what}: ${r.bad} clients with a wrong KV count, ${r.failed} never in sync`)
  }

  let workerPeakRss = 0
  const merge = (
    rs: readonly SyncReply[]
  ): { end: number; bad: number; failed: number; projectMs: number } => {
    workerPeakRss = Math.max(workerPeakRss, ...rs.map((r) => r.peakRss))
    return {
      projectMs: rs.reduce((a, r) => a + r.projectMs, 0),
      end: Math.max(...rs.flatMap((r) => r.ends)),
      bad: rs.reduce((a, r) => a + r.bad, 0),
      failed: rs.reduce((a, r) => a + r.failed, 0),
    }
  }
  let live: Cache | undefined
  let frames: Buffer[] = []
  const coldMs: number[] = []
  const coldProjectMs: number[] = []
  const rawMs: number[] = []
  for (let rep = 0; rep < o.reps; rep++) {
    const order = rep % 2 === 0 ? ['cold', 'raw'] : ['raw', 'cold']
    for (const side of order) {
      if (side === 'cold') {
        await all(() => ({ cmd: 'stop-sync' }))
        await stopCache(live)
        live = await startCache(0, o.highWaterBytes)
        const port = live.server.port
        await all((w) => ({ cmd: 'sync', port, kvs: o.endpoints, ...share(w) }))
        new SyntheticSyncer(live.cache).load(o.endpoints)
        const readyAt = epochNow()
        const r = merge(await all(() => ({ cmd: 'wait-sync', timeoutMs: o.timeoutMs })))
        check('cold decode', r)
        coldMs.push(r.end - readyAt)
        coldProjectMs.push(r.projectMs)
        progress(`cold decode ${rep + 1}/${o.reps}: ${Math.round(r.end - readyAt)} ms`)
        if (frames.length === 0) frames = await captureFrames(port)
      } else {
        if (frames.length === 0) throw new Error('raw decode ran before any capture')
        const raw = await rawFrameServer(frames, o.clients, o.highWaterBytes)
        try {
          const r = merge(
            await all((w) => ({
              cmd: 'raw',
              port: raw.port,
              clients: share(w).clients,
              kvs: o.endpoints,
              bytes: raw.total,
            }))
          )
          check('raw decode', r)
          rawMs.push(r.end - raw.startedAt())
          progress(`raw decode ${rep + 1}/${o.reps}: ${Math.round(r.end - raw.startedAt())} ms`)
        } finally {
          raw.close()
        }
      }
    }
  }

  // The storm: the clients of the last cold repetition are in sync with `live`.
  const port = live!.server.port
  await all(() => ({ cmd: 'arm-storm' }))
  const cutAt = epochNow()
  await stopCache(live)
  live = await startCache(port, o.highWaterBytes)
  new SyntheticSyncer(live.cache).load(o.endpoints)
  const readyAt = epochNow()
  const storm = await all<StormReply>(() => ({ cmd: 'wait-storm', timeoutMs: o.timeoutMs }))
  const s = merge(storm)
  const sum = (k: 'resumed' | 'resnapshotted' | 'changes' | 'attempts'): number =>
    storm.reduce((a, r) => a + r[k], 0)
  progress(`storm: ${Math.round(s.end - readyAt)} ms after the new cache was in sync`)

  await all(() => ({ cmd: 'stop-sync' }))
  await stopCache(live)
  await Promise.all(
    workers.map(async (l) => {
      const exited = once(l.child, 'exit')
      l.child.send({ id: 0, cmd: 'exit' })
      await exited
    })
  )
  return {
    coldMs,
    coldProjectMs,
    rawMs,
    ratios: coldMs.map((c, i) => c / rawMs[i]!),
    frames: frames.length,
    frameBytes: frames.reduce((a, f) => a + f.length, 0),
    workerPeakRss,
    storm: {
      resyncMs: s.failed > 0 ? NaN : s.end - readyAt,
      totalMs: s.failed > 0 ? NaN : s.end - cutAt,
      resumed: sum('resumed'),
      resnapshotted: sum('resnapshotted'),
      failed: s.failed + s.bad,
      changes: sum('changes'),
      attempts: sum('attempts'),
      projectMs: s.projectMs,
      failures: countFailures(storm),
    },
  }
}

/** The table rows of the decoding phases. */
export function decodeRows(o: DecodeSizes, d: DecodeResult): string[][] {
  const coldD = summarize(d.coldMs)
  const rawD = summarize(d.rawMs)
  const ratioD = summarize(d.ratios)
  const st = d.storm
  return [
    [
      'decoding: endpoints / SyncClients / worker processes',
      `${o.decodeEndpoints} / ${o.decodeClients} / ${o.workers} (CPU-bound: every client decodes every KV on this machine's cores)`,
      '',
    ],
    [
      'decoding: frames per client (ServerHello, snapshot, Status)',
      `${d.frames} frames, ${(d.frameBytes / 1048576).toFixed(2)} MiB`,
      '',
    ],
    [
      'decoding: peak RSS of the largest worker',
      `${(d.workerPeakRss / 1048576).toFixed(0)} MiB for ${Math.ceil(o.decodeClients / o.workers)} clients`,
      '',
    ],
    ['cold decode: in-sync → every SyncClient holds all KVs', fmtSummary(coldD, ' ms', 0), ''],
    [
      'cold decode: CPU in the agent projection (all clients)',
      fmtSummary(summarize(d.coldProjectMs), ' ms', 0),
      '',
    ],
    ['raw decode: same frames on TCP, same decoder', fmtSummary(rawD, ' ms', 0), ''],
    ['cold decode / raw decode (per repetition)', fmtSummary(ratioD, '', 2), '≤ 1.5'],
    [
      'storm: new cache in-sync → all in sync (from the cut)',
      `${Math.round(st.resyncMs)} ms (${Math.round(st.totalMs)} ms)`,
      'one run: no target',
    ],
    [
      'storm: resumed / re-snapshotted / failed',
      `${st.resumed} / ${st.resnapshotted} / ${st.failed}`,
      'failed = 0',
    ],
    [
      'storm: updates reported / connection attempts',
      `${st.changes} / ${st.attempts}`,
      '(same data: no updates)',
    ],
    [
      'storm: failed attempts by reason',
      Object.entries(st.failures)
        .map(([k, n]) => `${n}× ${k}`)
        .join('; ') || 'none',
      '',
    ],
  ]
}

/** The JSON-line figures of the decoding phases. */
export function decodeFigures(o: DecodeSizes, d: DecodeResult): Record<string, number> {
  const coldD = summarize(d.coldMs)
  const rawD = summarize(d.rawMs)
  const ratioD = summarize(d.ratios)
  const st = d.storm
  return {
    decode_endpoints: o.decodeEndpoints,
    decode_clients: o.decodeClients,
    decode_workers: o.workers,
    decode_reps: o.decodeReps,
    decode_worker_peak_rss_bytes: d.workerPeakRss,
    cold_decode_ms: Math.round(coldD.median),
    cold_decode_ms_min: Math.round(coldD.min),
    cold_decode_ms_max: Math.round(coldD.max),
    raw_decode_ms: Math.round(rawD.median),
    cold_decode_ratio: r2(ratioD.median),
    cold_decode_ratio_min: r2(ratioD.min),
    cold_decode_ratio_max: r2(ratioD.max),
    storm_resync_ms: Math.round(st.resyncMs),
    storm_total_ms: Math.round(st.totalMs),
    storm_to_cold_decode: r2(st.resyncMs / coldD.median),
    storm_resumed: st.resumed,
    storm_resnapshotted: st.resnapshotted,
    storm_clients_failed: st.failed,
    storm_updates: st.changes,
    storm_attempts: st.attempts,
    cold_decode_project_cpu_ms: Math.round(summarize(d.coldProjectMs).median),
    storm_project_cpu_ms: Math.round(st.projectMs),
  }
}

/**
 * Benchmark: fan-out of the cattail cache to many agents.
 *
 * The cache (in this process) is fed by a synthetic syncer with N endpoints over 10 clusters
 * (WorkloadEndpoint-like values with labels, keys prefixed per cluster); a separate load process
 * (child_process.fork of this file) opens C WebSocket clients (`LeanClient`: raw TCP + minimal
 * WebSocket + sync protocol, scripts/bench/lean-client.ts). Phases:
 *  1. cold: the C clients connect to the empty cache, which then loads the N endpoints; the time
 *     from the cache reaching in-sync (data complete) until every client holds the snapshot and
 *     got Status in-sync, so the snapshot's encoding and compression are inside the timer;
 *  2. memory: cache RSS growth (after gc) per endpoint, measured with the snapshot, its framed
 *     copies and every connection alive;
 *  3. verify: one full-decoding client (TestClient) checks the snapshot has exactly N KVs;
 *  4. deltas: 500 changes/s for a while (batches every 10 ms, send timestamps in a label);
 *     latency = client receive time − syncer send time of the oldest KV in each frame; clients
 *     negotiate deltas-deflate like real agents, and the load process inflates each distinct
 *     (byte-identical) frame once, since it stands in for C agents with their own CPUs;
 *  5. warm vs raw, alternated over `--reps` repetitions: C clients join the built cache; and C
 *     plain TCP sockets between the same two processes get the same handshake round trip (a
 *     request, then an answer before any data), then the same frames (the sizes the WebSocket
 *     clients received) paced on the same high-water mark. Ratio per repetition, median/spread.
 * Targets (full size, TARGETS): warm and cold ≤ 1.5× raw, delta p99 ≤ 100 ms, ≤ 2 KiB RSS per
 * endpoint. `--quick` (5,000 × 50) reports but does not enforce them (common.ts).
 *
 * Also: the bytes a client receives when it resumes after 100 changes, against its full snapshot.
 *
 * Not measured yet (issue 13): clients decoding every KV with the real SyncClient (the lean
 * clients skip snapshot payloads; only the verify client decodes), and a reconnect storm after a
 * cache restart (time, resumed vs re-snapshotted).
 *
 * Usage: npm run bench -- fanout [--quick] [--endpoints N] [--clients N] [--churn-seconds S]
 *        [--rate N] [--high-water-bytes N] [--reps N]
 */
import { execFileSync, fork, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createSilentLogger, waitFor } from '@cattail/common'
import type { KVUpdate, WorkloadEndpoint } from '@cattail/model'
import {
  CacheMetrics,
  DEFAULT_SNAPSHOT_CACHE_CONFIG,
  DEFAULT_SYNC_SERVER_CONFIG,
  SnapshotCache,
  SyncServer,
  encodeCachedKv,
} from '@cattail/cache'
import { TestClient } from '@cattail/cache/testing'
import { DeltasInflateMemo } from './deltas-peek.js'
import { LeanClient } from './lean-client.js'
import { isQuick, numberArg } from './args.js'
import {
  alternate,
  finish,
  fmtSummary,
  printTable,
  r2,
  runBench,
  summarize,
  type Target,
} from './common.js'

interface Options {
  readonly quick: boolean
  readonly endpoints: number
  readonly clients: number
  readonly churnSeconds: number
  readonly changesPerSecond: number
  /** Server high-water mark per client (ws.bufferedAmount), bytes. */
  readonly highWaterBytes: number
  readonly reps: number
}

function parseArgs(argv: readonly string[]): Options {
  const quick = isQuick(argv)
  const num = (name: string, dflt: number): number => numberArg(argv, name, dflt)
  return {
    quick,
    endpoints: num('endpoints', quick ? 5_000 : 100_000),
    clients: num('clients', quick ? 50 : 1_000),
    churnSeconds: num('churn-seconds', quick ? 2 : 10),
    changesPerSecond: num('rate', 500),
    highWaterBytes: num('high-water-bytes', DEFAULT_SYNC_SERVER_CONFIG.highWaterBytes),
    reps: numberArg(argv, 'reps', quick ? 2 : 5, true),
  }
}

const epochNow = (): number => performance.timeOrigin + performance.now()
const progress = (msg: string): void => {
  process.stderr.write(`[fanout] ${new Date().toISOString()} ${msg}\n`)
}
const HOST = '127.0.0.1'
/** Bytes of the raw baseline's request and answer (about a WebSocket upgrade plus a hello). */
const HANDSHAKE_BYTES = 256
/** Changes between a client's two visits in the resume measurement. */
const RESUME_CHANGES = 100
const CLUSTERS = 10
const TIERS = ['frontend', 'backend', 'db', 'cache', 'worker']
const ENVS = ['prod', 'staging', 'dev']

// ---------------------------------------------------------------- IPC between the processes

type ToLoad =
  | { id: number; cmd: 'ws'; port: number; clients: number }
  | { id: number; cmd: 'measure' }
  | { id: number; cmd: 'wait-seq'; seq: number }
  | { id: number; cmd: 'verify'; port: number }
  | { id: number; cmd: 'close-ws' }
  | { id: number; cmd: 'raw'; port: number; clients: number; bytesPerClient: number }
  | { id: number; cmd: 'exit' }

interface Reply {
  id: number
  [k: string]: unknown
}

// ---------------------------------------------------------------- load process

function runLoad(): void {
  let clients: LeanClient[] = []
  // Deflated Deltas frames are byte-identical for every client: inflate each distinct one once
  // per load process (checked byte for byte; see scripts/bench/deltas-peek.ts).
  const inflateMemo = new DeltasInflateMemo()
  let measuring = false
  const samples: number[] = []
  let dropped = 0
  let closing = false
  const reply = (r: Reply): void => {
    process.send?.(r)
  }
  process.on('message', (m: ToLoad) => {
    switch (m.cmd) {
      case 'ws': {
        closing = false
        const start = epochNow()
        let done = 0
        const bytesAtSync: number[] = []
        const watch = setInterval(() => {
          if (done === m.clients) {
            clearInterval(watch)
            return
          }
          const bytes = clients.reduce((a, c) => a + c.bytesReceived, 0)
          const closed = clients.filter((c) => c.closed).length
          progress(
            `load: ${done}/${m.clients} in sync, ${closed} closed, ${(bytes / 1048576).toFixed(0)} MiB received`
          )
        }, 5000)
        clients = Array.from(
          { length: m.clients },
          (_, i) =>
            new LeanClient(
              { host: HOST, port: m.port, nodeName: `bench-${i}`, inflateMemo },
              {
                onInSync: (c) => {
                  if (done === 0)
                    progress(
                      `load: first client in sync after ${Math.round(epochNow() - start)} ms`
                    )
                  bytesAtSync.push(c.bytesReceived)
                  if (++done === m.clients) {
                    const frameBytes = clients[0]?.snapshotFrameBytes ?? []
                    reply({ id: m.id, start, end: epochNow(), bytesAtSync, frameBytes })
                  }
                },
                onDeltas: (_c, _seq, ts) => {
                  if (measuring && ts !== undefined) samples.push(epochNow() - ts)
                },
                onClose: () => {
                  if (!closing) dropped++
                },
              }
            )
        )
        return
      }
      case 'measure':
        measuring = true
        reply({ id: m.id })
        return
      case 'wait-seq': {
        const t = setInterval(() => {
          if (clients.every((c) => c.seq >= m.seq || c.closed)) {
            clearInterval(t)
            measuring = false
            samples.sort((a, b) => a - b)
            const q = (p: number): number =>
              samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? NaN
            reply({
              id: m.id,
              p50: q(0.5),
              p99: q(0.99),
              max: samples[samples.length - 1] ?? NaN,
              count: samples.length,
              dropped,
              behind: clients.filter((c) => c.seq < m.seq).length,
              frames: clients.reduce((a, c) => a + c.deltaFrames, 0),
              inflated: inflateMemo.inflated,
            })
          }
        }, 5)
        return
      }
      case 'verify': {
        void TestClient.connect({ url: `ws://${HOST}:${m.port}/`, nodeName: 'bench-verify' }).then(
          async (c) => {
            const t = setInterval(() => {
              if ((c.status === 'in-sync' && c.snapshotDone) || c.closed) {
                clearInterval(t)
                const kvs = c.kvs.size
                void c.close().then(() => reply({ id: m.id, kvs, closed: c.closed }))
              }
            }, 10)
            await Promise.resolve()
          }
        )
        return
      }
      case 'close-ws': {
        closing = true
        for (const c of clients) c.destroy()
        clients = []
        reply({ id: m.id })
        return
      }
      case 'exit':
        process.exit(0)
        return
      case 'raw': {
        // Same handshake round trip (a request, then an answer before any data) and the same
        // bytes; the server replays the snapshot's frame sizes (see runMain).
        const start = epochNow()
        let done = 0
        const hello = Buffer.alloc(HANDSHAKE_BYTES, 0x41)
        for (let i = 0; i < m.clients; i++) {
          const s = connect(m.port, HOST)
          let got = 0
          s.on('connect', () => s.write(hello))
          s.on('data', (d: Buffer) => {
            got += d.length
            if (got >= m.bytesPerClient) {
              s.destroy()
              if (++done === m.clients) reply({ id: m.id, start, end: epochNow() })
            }
          })
          s.on('error', (err) => {
            process.stderr.write(`raw client error: ${err.message}\n`)
          })
        }
        return
      }
    }
  })
  process.send?.({ id: 0, ready: true })
}

// ---------------------------------------------------------------- main process

function wepValue(
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

const keyOf = (i: number): { key: string; cluster: number } => {
  const cluster = i % CLUSTERS
  return {
    key: `c${cluster}/WorkloadEndpoint/ns-${i % 50}/node-${i % 1000}-k8s-wep--${i}-eth0`,
    cluster,
  }
}

/** The synthetic syncer: loads endpoints, then changes random ones at a fixed rate. */
class SyntheticSyncer {
  #rev = 0
  constructor(private readonly cache: SnapshotCache) {}

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

class LoadProcess {
  #next = 1
  readonly #waiting = new Map<number, (r: Reply) => void>()
  constructor(readonly child: ChildProcess) {
    child.on('message', (r: Reply) => {
      const w = this.#waiting.get(r.id)
      this.#waiting.delete(r.id)
      w?.(r)
    })
  }
  ask<T extends Reply>(msg: Record<string, unknown>): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve) => {
      this.#waiting.set(id, resolve as (r: Reply) => void)
      this.child.send({ ...msg, id })
    })
  }
}

function getGc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

/** Re-executes this script with a higher open-files limit when the current one is too low. */
function ensureFileLimit(needed: number): void {
  const soft = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim())
  if (!Number.isFinite(soft) || soft >= needed || process.env['CATTAIL_BENCH_REEXEC'] === '1')
    return
  const args = [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)]
  const r = spawnSync(
    'sh',
    ['-c', `ulimit -n ${needed} && exec "$0" "$@"`, process.execPath, ...args],
    {
      stdio: 'inherit',
      env: { ...process.env, CATTAIL_BENCH_REEXEC: '1' },
    }
  )
  process.exit(r.status ?? 1)
}

const TARGETS: readonly Target[] = [
  { figure: 'ratio_to_limit', op: '<=', limit: 1.5 },
  { figure: 'cold_ratio_to_limit', op: '<=', limit: 1.5 },
  { figure: 'delta_p99_ms', op: '<=', limit: 100 },
  { figure: 'rss_bytes_per_endpoint', op: '<=', limit: 2048 },
]

type WsReply = Reply & { start: number; end: number; bytesAtSync: number[]; frameBytes: number[] }

/**
 * The raw-socket baseline server: per connection, waits for the client's request, answers with
 * HANDSHAKE_BYTES, then writes one buffer per snapshot frame (the sizes the WebSocket clients
 * received, 10 bytes of WebSocket header each), pacing on the same high-water mark as the server.
 */
async function rawServer(
  frameBytes: readonly number[],
  highWater: number
): Promise<{ port: number; total: number; close: () => void }> {
  const payload = Buffer.alloc(Math.max(1, ...frameBytes.map((n) => n + 10)), 0x5a)
  const answer = Buffer.alloc(HANDSHAKE_BYTES, 0x42)
  const total = HANDSHAKE_BYTES + frameBytes.reduce((a, n) => a + n + 10, 0)
  const raw = createServer((s: Socket) => {
    s.on('error', () => undefined)
    s.once('data', () => {
      s.write(answer)
      let k = 0
      const pump = (): void => {
        while (k < frameBytes.length) {
          s.write(payload.subarray(0, frameBytes[k++]! + 10))
          if (s.writableLength > highWater) {
            s.once('drain', pump)
            return
          }
        }
      }
      pump()
    })
  })
  raw.listen({ port: 0, host: HOST, backlog: 4096 })
  await once(raw, 'listening')
  return { port: (raw.address() as { port: number }).port, total, close: () => raw.close() }
}

async function runMain(o: Options): Promise<void> {
  ensureFileLimit(o.clients * 2 + 512)
  const gc = getGc()
  const log = createSilentLogger()
  const metrics = new CacheMetrics(false)

  gc()
  gc()
  const rss0 = process.memoryUsage().rss
  const cache = new SnapshotCache(DEFAULT_SNAPSHOT_CACHE_CONFIG, encodeCachedKv, log, { metrics })
  const syncer = new SyntheticSyncer(cache)
  const server = new SyncServer(
    { ...DEFAULT_SYNC_SERVER_CONFIG, host: HOST, port: 0, highWaterBytes: o.highWaterBytes },
    cache,
    log,
    { metrics }
  )
  await server.start()
  const child = fork(fileURLToPath(import.meta.url), ['--role=load'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  await once(child, 'message')
  const load = new LoadProcess(child)

  // 1. cold: the clients connect to an empty cache, which then loads every endpoint; the clock
  // runs from the cache reaching in-sync (data complete: the snapshot is built inside the timer)
  // until every client holds the snapshot and got in-sync.
  const coldDone = load.ask<WsReply>({ cmd: 'ws', port: server.port, clients: o.clients })
  const tLoad = performance.now()
  syncer.load(o.endpoints)
  const loadedAt = epochNow()
  const loadMs = performance.now() - tLoad
  progress(
    `loaded ${o.endpoints} endpoints in ${Math.round(loadMs)} ms with ${o.clients} clients waiting`
  )
  const cold = await coldDone
  const coldMs = cold.end - loadedAt
  // Memory with the snapshot, its framed copies and every connection's buffers alive.
  gc()
  gc()
  const rssPerEndpoint = (process.memoryUsage().rss - rss0) / o.endpoints
  const bytesPerClient = Math.round(
    cold.bytesAtSync.reduce((a, b) => a + b, 0) / Math.max(1, cold.bytesAtSync.length)
  )
  progress(`cold: ${o.clients} clients in sync ${Math.round(coldMs)} ms after the load`)

  // 2. verify: one full-decoding client holds exactly N KVs.
  const verify = await load.ask<Reply & { kvs: number }>({ cmd: 'verify', port: server.port })
  if (verify.kvs !== o.endpoints)
    throw new Error(`verify client holds ${verify.kvs} KVs, want ${o.endpoints}`)

  // 3. deltas at a fixed rate to the cold clients.
  await load.ask({ cmd: 'measure' })
  const tickMs = 10
  const total = Math.round(o.churnSeconds * o.changesPerSecond)
  let sent = 0
  const t0 = performance.now()
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(
        total,
        Math.floor(((performance.now() - t0) / 1000) * o.changesPerSecond)
      )
      if (due > sent) {
        syncer.change(due - sent, o.endpoints)
        sent = due
      }
      if (sent >= total) {
        clearInterval(timer)
        resolve()
      }
    }, tickMs)
  })
  cache.flush()
  const lat = await load.ask<
    Reply & {
      p50: number
      p99: number
      max: number
      count: number
      dropped: number
      behind: number
      inflated: number
    }
  >({ cmd: 'wait-seq', seq: cache.latest.seq })
  if (!Number.isFinite(lat.p50)) throw new Error(`no latency samples (${JSON.stringify(lat)})`)
  progress(`deltas: p50 ${lat.p50.toFixed(1)} ms p99 ${lat.p99.toFixed(1)} ms`)
  await load.ask({ cmd: 'close-ws' })

  // Resume: one client takes the full snapshot, leaves, 100 changes happen, it comes back with
  // its resume point; the bytes of each visit are compared.
  const url = `ws://${HOST}:${server.port}/`
  const first = await TestClient.connect({ url, nodeName: 'bench-resume' })
  await waitFor(() => first.snapshotDone && first.status === 'in-sync', { timeoutMs: 120_000 })
  const fullBytes = first.bytesReceived
  const resumeAt = first.resumePoint
  await first.close()
  syncer.change(RESUME_CHANGES, o.endpoints)
  cache.flush()
  const again = await TestClient.connect({
    url,
    nodeName: 'bench-resume',
    ...(resumeAt !== undefined && { resume: resumeAt }),
  })
  const target = cache.latest.seq
  await waitFor(() => again.seq >= target && again.status === 'in-sync', { timeoutMs: 60_000 })
  const resumeBytes = again.bytesReceived
  const resumed = again.mode === 'resume'
  await again.close()

  // 4. warm joins vs the raw-socket baseline, alternated: each repetition connects every client
  // to the built cache, then (or first) the same bytes in the same frames over plain TCP.
  let frameBytes = cold.frameBytes
  const runs = await alternate<number>(o.reps, [
    {
      name: 'warm',
      run: async () => {
        const r = await load.ask<WsReply>({ cmd: 'ws', port: server.port, clients: o.clients })
        frameBytes = r.frameBytes
        await load.ask({ cmd: 'close-ws' })
        return r.end - r.start
      },
    },
    {
      name: 'raw',
      run: async () => {
        const raw = await rawServer(frameBytes, o.highWaterBytes)
        try {
          const r = await load.ask<Reply & { start: number; end: number }>({
            cmd: 'raw',
            port: raw.port,
            clients: o.clients,
            bytesPerClient: raw.total,
          })
          return r.end - r.start
        } finally {
          raw.close()
        }
      },
    },
  ])
  const warmMs = runs.get('warm')!
  const rawMs = runs.get('raw')!
  const ratio = summarize(warmMs.map((w, r) => w / rawMs[r]!))
  const rawS = summarize(rawMs)
  const warmS = summarize(warmMs)
  const bytesSent = (await metrics.bytesSent.get()).values[0]?.value ?? 0
  const snapshotCompressed = (await metrics.snapshotCompressedBytes.get()).values[0]?.value ?? 0
  const snapshotRaw = (await metrics.snapshotRawBytes.get()).values[0]?.value ?? 0
  const stats = server.stats
  const exited = once(child, 'exit')
  child.send({ id: 0, cmd: 'exit' })
  await exited
  await server.stop()
  cache.stop()

  const f = (x: number): string => String(r2(x))
  printTable(`fan-out benchmark (${o.quick ? 'quick' : 'full'})`, [
    ['endpoints / clusters / clients', `${o.endpoints} / ${CLUSTERS} / ${o.clients}`, ''],
    ['cache load time (clients connected)', `${Math.round(loadMs)} ms`, ''],
    [
      'cache RSS per endpoint (snapshot, frames, connections)',
      `${Math.round(rssPerEndpoint)} B`,
      '≤ 2048 B',
    ],
    [
      'snapshot raw / compressed',
      `${(snapshotRaw / 1048576).toFixed(1)} MiB / ${(snapshotCompressed / 1048576).toFixed(1)} MiB`,
      '',
    ],
    [
      'bytes per client (snapshot)',
      `${(bytesPerClient / 1048576).toFixed(2)} MiB in ${frameBytes.length} frames`,
      '',
    ],
    ['cold: in-sync → every client in sync', `${Math.round(coldMs)} ms`, ''],
    ['warm: every client connected and in sync', fmtSummary(warmS, ' ms', 0), ''],
    ['raw TCP: same handshake, frames, pacing', fmtSummary(rawS, ' ms', 0), ''],
    ['warm / raw (per repetition)', fmtSummary(ratio, '', 2), '≤ 1.5'],
    ['cold / raw (median)', f(coldMs / rawS.median), '≤ 1.5'],
    ['snapshot encodings built / reused', `${stats.snapshotsBuilt} / ${stats.snapshotsReused}`, ''],
    ['verify client KVs', `${verify.kvs}`, `= ${o.endpoints}`],
    ['changes sent', `${total} at ${o.changesPerSecond}/s over ${o.churnSeconds} s`, ''],
    [
      'delta latency p50 / p99 / max',
      `${f(lat.p50)} / ${f(lat.p99)} / ${f(lat.max)} ms (${lat.count} frames)`,
      'p99 ≤ 100 ms',
    ],
    ['clients dropped / behind', `${lat.dropped} / ${lat.behind}`, '0 / 0'],
    [
      `resume after ${RESUME_CHANGES} changes / full snapshot`,
      `${resumeBytes} B / ${fullBytes} B (${resumed ? 'resumed' : 'RE-SNAPSHOTTED'})`,
      '',
    ],
    [
      'delta frames: per crumb / merged built / merged reused',
      `${stats.deltaFramesBuilt} / ${stats.mergedFramesBuilt} / ${stats.mergedFramesReused}`,
      '',
    ],
    ['bytes sent (all phases)', `${(bytesSent / 1048576).toFixed(1)} MiB`, ''],
  ])
  finish(
    'fanout',
    {
      endpoints: o.endpoints,
      clients: o.clients,
      reps: o.reps,
      cold_insync_ms: Math.round(coldMs),
      insync_ms: Math.round(warmS.median),
      raw_tcp_ms: Math.round(rawS.median),
      ratio_to_limit: r2(ratio.median),
      ratio_to_limit_min: r2(ratio.min),
      ratio_to_limit_max: r2(ratio.max),
      cold_ratio_to_limit: r2(coldMs / rawS.median),
      delta_p50_ms: r2(lat.p50),
      delta_p99_ms: r2(lat.p99),
      clients_dropped: lat.dropped,
      resume_bytes: resumeBytes,
      full_snapshot_bytes: fullBytes,
      resumed,
      bytes_sent: bytesSent,
      rss_bytes_per_endpoint: Math.round(rssPerEndpoint),
      snapshots_built: stats.snapshotsBuilt,
    },
    TARGETS,
    o.quick
  )
}

if (process.argv.includes('--role=load')) {
  runLoad()
} else {
  runBench(() => runMain(parseArgs(process.argv.slice(2))))
}

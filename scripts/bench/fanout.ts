/**
 * Benchmark: fan-out of the cattail cache to many agents.
 *
 * The cache (in this process) is fed by a synthetic syncer with N endpoints over 10 clusters
 * (WorkloadEndpoint-like values with labels, keys prefixed per cluster); a separate load process
 * (child_process.fork of this file) opens C WebSocket clients (`LeanClient`: raw TCP + minimal
 * WebSocket + sync protocol, see scripts/bench/lean-client.ts). Phases:
 *  1. memory: RSS growth (after gc) from loading the N endpoints into the cache, per endpoint;
 *  2. in-sync: time from the first connect until every client holds the snapshot and got
 *     Status in-sync; snapshot encodings built are counted (must be 1, not 1 per client);
 *  3. verify: one full-decoding client checks the snapshot has exactly N KVs;
 *  4. deltas: 500 changes/s for a while (batches every 10 ms, send timestamps in a label);
 *     latency = client receive time − syncer send time of the oldest KV in each frame; clients
 *     negotiate deltas-deflate like real agents, and the load process inflates each distinct
 *     (byte-identical) frame once, since it stands in for 1,000 agents with their own CPUs;
 *  5. limit: the same byte count per client pushed through C plain TCP sockets on loopback
 *     between the same two processes (one shared Buffer, like the snapshot) — the floor.
 *
 * Usage: npm run bench -- fanout [--quick] [--endpoints N] [--clients N] [--churn-seconds S]
 * Prints a table, then one JSON line {"bench":"fanout", …}.
 */
import { execFileSync, fork, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createSilentLogger } from '@cattail/common'
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

interface Options {
  readonly quick: boolean
  readonly endpoints: number
  readonly clients: number
  readonly churnSeconds: number
  readonly changesPerSecond: number
  /** Server high-water mark per client (ws.bufferedAmount), bytes. */
  readonly highWaterBytes: number
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
  }
}

const epochNow = (): number => performance.timeOrigin + performance.now()
const progress = (msg: string): void => {
  process.stderr.write(`[fanout] ${new Date().toISOString()} ${msg}\n`)
}
const HOST = '127.0.0.1'
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
                    reply({ id: m.id, start, end: epochNow(), bytesAtSync })
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
        const start = epochNow()
        let done = 0
        for (let i = 0; i < m.clients; i++) {
          const s = connect(m.port, HOST)
          let got = 0
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

async function runMain(o: Options): Promise<void> {
  ensureFileLimit(o.clients * 2 + 512)
  const gc = getGc()
  const log = createSilentLogger()
  const metrics = new CacheMetrics(false)

  // 1. memory
  gc()
  gc()
  const rss0 = process.memoryUsage().rss
  const cache = new SnapshotCache(DEFAULT_SNAPSHOT_CACHE_CONFIG, encodeCachedKv, log, { metrics })
  const syncer = new SyntheticSyncer(cache)
  const tLoad = performance.now()
  syncer.load(o.endpoints)
  const loadMs = performance.now() - tLoad
  gc()
  gc()
  const rss1 = process.memoryUsage().rss
  const rssPerEndpoint = (rss1 - rss0) / o.endpoints

  progress(
    `loaded ${o.endpoints} endpoints in ${Math.round(loadMs)} ms; ${Math.round(rssPerEndpoint)} B RSS each`
  )
  // 2. in-sync
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
  const ws = await load.ask<Reply & { start: number; end: number; bytesAtSync: number[] }>({
    cmd: 'ws',
    port: server.port,
    clients: o.clients,
  })
  const insyncMs = ws.end - ws.start
  const bytesPerClient = Math.round(
    ws.bytesAtSync.reduce((a, b) => a + b, 0) / ws.bytesAtSync.length
  )
  const snapshotsBuilt = server.stats.snapshotsBuilt
  const snapshotCompressed = (await metrics.snapshotCompressedBytes.get()).values[0]?.value ?? 0
  const snapshotRaw = (await metrics.snapshotRawBytes.get()).values[0]?.value ?? 0
  const buildSecs =
    (await metrics.snapshotBuildSeconds.get()).values.find((v) => v.metricName?.endsWith('_sum'))
      ?.value ?? 0

  progress(`${o.clients} clients in sync after ${Math.round(insyncMs)} ms`)
  // 3. verify
  const verify = await load.ask<Reply & { kvs: number }>({ cmd: 'verify', port: server.port })
  if (verify.kvs !== o.endpoints)
    throw new Error(`verify client holds ${verify.kvs} KVs, want ${o.endpoints}`)

  progress('verified; churning')
  // 4. deltas at a fixed rate
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
  >({
    cmd: 'wait-seq',
    seq: cache.latest.seq,
  })
  const bytesSent = (await metrics.bytesSent.get()).values[0]?.value ?? 0
  const stats = server.stats

  if (!Number.isFinite(lat.p50)) throw new Error(`no latency samples (${JSON.stringify(lat)})`)
  progress(`deltas: p50 ${lat.p50.toFixed(1)} ms p99 ${lat.p99.toFixed(1)} ms; raw TCP next`)
  // 5. the raw TCP limit with the same bytes per client
  await load.ask({ cmd: 'close-ws' })
  const payload = Buffer.alloc(bytesPerClient, 0x5a)
  const raw = createServer((s: Socket) => {
    s.on('error', () => undefined)
    s.write(payload)
  })
  raw.listen({ port: 0, host: HOST, backlog: 4096 })
  await once(raw, 'listening')
  const rawPort = (raw.address() as { port: number }).port
  const rawRes = await load.ask<Reply & { start: number; end: number }>({
    cmd: 'raw',
    port: rawPort,
    clients: o.clients,
    bytesPerClient,
  })
  const rawMs = rawRes.end - rawRes.start
  raw.close()
  const exited = once(child, 'exit')
  child.send({ id: 0, cmd: 'exit' })
  await exited
  await server.stop()
  cache.stop()

  const r2 = (x: number): number => Math.round(x * 100) / 100
  const result = {
    bench: 'fanout',
    endpoints: o.endpoints,
    clients: o.clients,
    insync_ms: Math.round(insyncMs),
    raw_tcp_ms: Math.round(rawMs),
    ratio_to_limit: r2(insyncMs / rawMs),
    delta_p50_ms: r2(lat.p50),
    delta_p99_ms: r2(lat.p99),
    bytes_sent: bytesSent,
    rss_bytes_per_endpoint: Math.round(rssPerEndpoint),
    snapshots_built: snapshotsBuilt,
  }
  const rows: Array<[string, string, string]> = [
    ['endpoints / clusters / clients', `${o.endpoints} / ${CLUSTERS} / ${o.clients}`, ''],
    ['cache load time', `${Math.round(loadMs)} ms`, ''],
    ['cache RSS per endpoint', `${result.rss_bytes_per_endpoint} B`, '≤ 2048 B'],
    [
      'snapshot raw / compressed',
      `${(snapshotRaw / 1048576).toFixed(1)} MiB / ${(snapshotCompressed / 1048576).toFixed(1)} MiB`,
      '',
    ],
    [
      'snapshot build (encode once, deflate)',
      `${Math.round(buildSecs * 1000)} ms (pre-built: starts at in-sync, before the clients)`,
      '',
    ],
    ['bytes per client (snapshot)', `${(bytesPerClient / 1048576).toFixed(2)} MiB`, ''],
    ['time until all clients in sync', `${result.insync_ms} ms`, ''],
    ['same bytes over plain TCP (limit)', `${result.raw_tcp_ms} ms`, ''],
    ['ratio to the limit', `${result.ratio_to_limit}`, '≤ 1.5'],
    [
      'snapshot encodings built',
      `${snapshotsBuilt} (reused ${stats.snapshotsReused})`,
      '1 per snapshot',
    ],
    ['verify client KVs', `${verify.kvs}`, `= ${o.endpoints}`],
    ['changes sent', `${total} at ${o.changesPerSecond}/s over ${o.churnSeconds} s`, ''],
    [
      'delta latency p50 / p99 / max',
      `${r2(lat.p50)} / ${r2(lat.p99)} / ${r2(lat.max)} ms (${lat.count} frames)`,
      'p99 ≤ 100 ms',
    ],
    ['clients dropped / behind', `${lat.dropped} / ${lat.behind}`, '0 / 0'],
    ['distinct deflated frames inflated (load side)', `${lat.inflated}`, ''],
    [
      'delta frames: per crumb / merged built / merged reused',
      `${stats.deltaFramesBuilt} / ${stats.mergedFramesBuilt} / ${stats.mergedFramesReused}`,
      '',
    ],
    ['bytes sent (all phases)', `${(bytesSent / 1048576).toFixed(1)} MiB`, ''],
  ]
  const w0 = Math.max(...rows.map((r) => r[0].length))
  const w1 = Math.max(...rows.map((r) => r[1].length))
  console.log(`fan-out benchmark (${o.quick ? 'quick' : 'full'})`)
  for (const [a, b, c] of rows) console.log(`  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`)
  console.log(JSON.stringify(result))
}

if (process.argv.includes('--role=load')) {
  runLoad()
} else {
  runMain(parseArgs(process.argv.slice(2))).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    }
  )
}

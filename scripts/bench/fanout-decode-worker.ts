/**
 * A decoding worker of the fan-out benchmark (a fork of fanout.ts, `--role=decode`; the main
 * process runs W of them and gives each a share of the C clients).
 *
 * Design:
 * - `sync`: the worker's clients are real agents' sync clients: syncproto's `SyncClient` (ws,
 *   `decodeFrame` with the client's limits, SyncState's diffing, backoff with jitter, resume
 *   points) configured exactly as the agent's `createSyncSource` configures it:
 *   DEFAULT_SYNC_CLIENT_CONFIG, one address, the agent's projection (`createAgentProjection`) on
 *   every received KV and `retain: 'digest'` (the client keeps a digest per key, not the value).
 *   Each client decodes, projects and digests every KV itself; a client is done when it is
 *   streaming, got Status 'in-sync' and holds exactly the expected number of digests.
 * - Memory: like the agent, a client holds no values (only digests) and the benchmark's consumer
 *   drops the updates it is given, so nothing per value is kept; the one projection per worker
 *   shares its string and label-map tables between the worker's clients (the agent has one per
 *   process and one client).
 * - `arm-storm` / `wait-storm`: after the cache restarts, each client must see its connection
 *   drop, reconnect through its own backoff, and be in sync again; it "resumed" if no snapshot
 *   started on the way (onSnapshotStart), else it re-snapshotted. Updates the clients report
 *   after the restart are counted (the diff should hide a restart with unchanged data), and
 *   so are the clients' own warnings by message (why an attempt failed: a connect timeout, a
 *   reset), through a logger that keeps only those.
 * - `raw`: the like-for-like baseline: C plain TCP sockets receive the same frames (see
 *   fanout-raw.ts), split them at the WebSocket-style headers and `decodeFrame` each (inflate +
 *   msgpack unpack + KV checks: the same decode work), tracking the keys held to the same check
 *   (the captured frames may be a snapshot built earlier followed by the deltas since then: the
 *   cache may answer a new client so, e.g. an empty snapshot and the whole load as deltas).
 */
import { connect } from 'node:net'
import { pino, type Logger } from 'pino'
import type { KVUpdate } from '@cattail/model'
import { createAgentProjection } from '@cattail/agent'
import { DEFAULT_SYNC_CLIENT_CONFIG, SyncClient, decodeFrame } from '@cattail/syncproto'
import { epochNow } from './fanout-data.js'
import { HANDSHAKE_BYTES, HOST, type Reply } from './fanout-load.js'

/** Requests the main process sends a decoding worker. */
export type ToDecodeWorker =
  | { id: number; cmd: 'sync'; port: number; clients: number; first: number; kvs: number }
  | { id: number; cmd: 'wait-sync'; timeoutMs: number }
  | { id: number; cmd: 'arm-storm' }
  | { id: number; cmd: 'wait-storm'; timeoutMs: number }
  | { id: number; cmd: 'stop-sync' }
  | { id: number; cmd: 'raw'; port: number; clients: number; kvs: number; bytes: number }
  | { id: number; cmd: 'exit' }

/**
 * Answer to `wait-sync`, `wait-storm` and `raw`: when each client was done, how many failed, and
 * the worker's peak RSS so far (bytes), the time its clients spent in the projection.
 */
export type SyncReply = Reply & {
  ends: number[]
  bad: number
  failed: number
  peakRss: number
  /** CPU time spent in the agent's projection since `sync` or `arm-storm`, ms. */
  projectMs: number
}

/** Answer to `wait-storm`. */
export type StormReply = SyncReply & {
  resumed: number
  resnapshotted: number
  changes: number
  attempts: number
  /** Why connection attempts failed (the clients' own warnings), message → count. */
  failures: Record<string, number>
}

/**
 * A logger for the worker's clients that keeps only their warnings, counted by error message
 * (a failed attempt, a bad frame): the storm reports why attempts failed.
 */
function countingLogger(counts: Map<string, number>): Logger {
  return pino(
    { level: 'warn' },
    {
      write: (line: string) => {
        const rec = JSON.parse(line) as { error?: unknown; msg?: unknown }
        const why = String(rec.error ?? rec.msg)
        counts.set(why, (counts.get(why) ?? 0) + 1)
      },
    }
  )
}

/** One SyncClient and what the benchmark tracks about it. */
class Tracked {
  end = NaN
  bad = false
  armed = false
  dropped = false
  snapshots = 0
  changes = 0
  attemptsAtArm = 0
  readonly client: SyncClient

  constructor(
    port: number,
    name: string,
    kvs: number,
    project: (u: KVUpdate) => KVUpdate,
    log: Logger
  ) {
    this.client = new SyncClient(
      {
        ...DEFAULT_SYNC_CLIENT_CONFIG,
        addresses: [`ws://${HOST}:${port}`],
        nodeName: name,
        project,
        retain: 'digest',
      },
      {
        onSnapshotStart: () => this.snapshots++,
        onUpdates: (us) => {
          if (this.armed) this.changes += us.length
        },
        onStatus: (s) => {
          if (s !== 'in-sync' || this.client.connectionState !== 'streaming') return
          if (this.armed && !this.dropped) return
          if (!Number.isNaN(this.end)) return
          this.end = epochNow()
          this.bad = this.client.digests.size !== kvs
        },
        onConnectionChange: (state) => {
          if (this.armed && state === 'disconnected') this.dropped = true
        },
      },
      log
    )
  }

  arm(): void {
    this.armed = true
    this.dropped = false
    this.snapshots = 0
    this.changes = 0
    this.end = NaN
    this.attemptsAtArm = this.client.attempts
  }
}

/** Polls until every client is done or `timeoutMs` passed. */
function whenDone(clients: readonly { end: number }[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (clients.every((c) => !Number.isNaN(c.end)) || performance.now() > deadline) {
        clearInterval(t)
        resolve()
      }
    }, 5)
  })
}

/** One raw-socket decoding client (see the file comment). */
class RawDecoder {
  end = NaN
  bad = false
  /** Keys held (a snapshot may be an older one followed by the deltas since: count both). */
  readonly #keys = new Set<string>()
  #pending: Buffer[] = []
  #pendingBytes = 0
  /** Bytes the next complete frame (or header) needs from the start of #pending. */
  #need = 2
  #received = 0

  constructor(port: number, expectKvs: number, expectBytes: number) {
    const s = connect(port, HOST)
    s.on('connect', () => s.write(Buffer.alloc(HANDSHAKE_BYTES, 0x41)))
    s.on('error', () => undefined)
    s.on('data', (d: Buffer) => {
      this.#received += d.length
      // The first HANDSHAKE_BYTES are the answer; frames follow.
      const skip = Math.max(0, HANDSHAKE_BYTES - (this.#received - d.length))
      if (skip < d.length) this.#push(skip === 0 ? d : d.subarray(skip), expectKvs)
      if (this.#received >= expectBytes) {
        if (Number.isNaN(this.end)) {
          this.end = epochNow()
          this.bad = true // all bytes in, but no in-sync after the expected KVs
        }
        s.destroy()
      }
    })
  }

  #push(d: Buffer, expectKvs: number): void {
    this.#pending.push(d)
    this.#pendingBytes += d.length
    // Concatenate once per complete frame (as ws does), not on every chunk.
    if (this.#pendingBytes < this.#need) return
    let buf = this.#pending.length === 1 ? d : Buffer.concat(this.#pending, this.#pendingBytes)
    let off = 0
    this.#need = 2
    for (;;) {
      if (buf.length - off < 2) break
      const l7 = buf[off + 1]! & 0x7f
      const head = l7 === 126 ? 4 : l7 === 127 ? 10 : 2
      if (buf.length - off < head) {
        this.#need = head
        break
      }
      const len =
        l7 === 126
          ? buf.readUInt16BE(off + 2)
          : l7 === 127
            ? Number(buf.readBigUInt64BE(off + 2))
            : l7
      if (buf.length - off < head + len) {
        this.#need = head + len
        break
      }
      this.#frame(buf.subarray(off + head, off + head + len), expectKvs)
      off += head + len
    }
    buf = buf.subarray(off)
    this.#pending = buf.length > 0 ? [buf] : []
    this.#pendingBytes = buf.length
  }

  #frame(payload: Buffer, expectKvs: number): void {
    const msg = decodeFrame(payload)
    if (msg.type === 'snapshot-chunk' || msg.type === 'deltas') {
      for (const u of msg.updates) {
        if (u.value === undefined) this.#keys.delete(u.key)
        else this.#keys.add(u.key)
      }
    } else if (msg.type === 'status' && msg.status === 'in-sync' && Number.isNaN(this.end)) {
      this.end = epochNow()
      this.bad = this.#keys.size !== expectKvs
    }
  }
}

/** The decoding worker's main: answers the main process's requests ({@link ToDecodeWorker}). */
export function runDecodeWorker(): void {
  let clients: Tracked[] = []
  let project = createAgentProjection()
  let projectMs = 0
  const failures = new Map<string, number>()
  const log = countingLogger(failures)
  // The agent's projection, timed (see SyncReply.projectMs).
  const timed = (u: KVUpdate): KVUpdate => {
    const t0 = performance.now()
    const p = project(u)
    projectMs += performance.now() - t0
    return p
  }
  const reply = (r: Reply): void => {
    process.send?.(r)
  }
  const summary = (id: number, cs: readonly { end: number; bad: boolean }[]): SyncReply => ({
    id,
    ends: cs.filter((c) => !Number.isNaN(c.end)).map((c) => c.end),
    bad: cs.filter((c) => c.bad).length,
    failed: cs.filter((c) => Number.isNaN(c.end)).length,
    peakRss: process.resourceUsage().maxRSS * 1024,
    projectMs,
  })
  process.on('message', (m: ToDecodeWorker) => {
    switch (m.cmd) {
      case 'sync': {
        project = createAgentProjection()
        projectMs = 0
        clients = Array.from(
          { length: m.clients },
          (_, i) => new Tracked(m.port, `bench-decode-${m.first + i}`, m.kvs, timed, log)
        )
        for (const c of clients) void c.client.start()
        // Answer once every client is connected and waiting for its snapshot.
        const t = setInterval(() => {
          if (clients.every((c) => c.client.connectionState !== 'connecting')) {
            clearInterval(t)
            reply({ id: m.id })
          }
        }, 5)
        return
      }
      case 'wait-sync':
        void whenDone(clients, m.timeoutMs).then(() => reply(summary(m.id, clients)))
        return
      case 'arm-storm':
        projectMs = 0
        failures.clear()
        for (const c of clients) c.arm()
        reply({ id: m.id })
        return
      case 'wait-storm':
        void whenDone(clients, m.timeoutMs).then(() => {
          const r: StormReply = {
            ...summary(m.id, clients),
            resumed: clients.filter((c) => !Number.isNaN(c.end) && c.snapshots === 0).length,
            resnapshotted: clients.filter((c) => !Number.isNaN(c.end) && c.snapshots > 0).length,
            changes: clients.reduce((a, c) => a + c.changes, 0),
            attempts: clients.reduce((a, c) => a + c.client.attempts - c.attemptsAtArm, 0),
            failures: Object.fromEntries(failures),
          }
          reply(r)
        })
        return
      case 'stop-sync':
        void Promise.all(clients.map((c) => c.client.stop())).then(() => {
          clients = []
          reply({ id: m.id })
        })
        return
      case 'raw': {
        const raws = Array.from({ length: m.clients }, () => new RawDecoder(m.port, m.kvs, m.bytes))
        void whenDone(raws, 600_000).then(() => reply(summary(m.id, raws)))
        return
      }
      case 'exit':
        process.exit(0)
    }
  })
  process.send?.({ id: 0, ready: true })
}

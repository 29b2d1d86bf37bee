/**
 * One client connection: handshake, snapshot or resume, then deltas, pings and the slow-client
 * policy.
 *
 * # Overview
 * ```
 *  handshake ──hello──▶ snapshot ──last chunk──▶ streaming ──▶ closed
 *      │   (resume: epoch ok, seq retained) ──────────▲          ▲
 *      └── bad frame / unsupported / timeout ─────────┴──────────┘
 * ```
 * - The delta loop follows breadcrumbs from the crumb the client holds. A client that keeps up
 *   gets each crumb's shared Deltas frame (built once for all clients); a client that lags gets
 *   crumbs merged into one frame of at most `maxDeltaKvs` KVs / `maxDeltaBytes` bytes, so it
 *   catches up with fewer, larger writes. A status change always ends a frame, followed by a
 *   Status frame, so the client never learns "in sync" before it holds the data. Clients that
 *   negotiated `deltas-deflate` get the compressed variant of the same shared frames.
 * - Backpressure: after each write, if `ws.bufferedAmount` is above `highWaterBytes` the loop
 *   waits until the socket has flushed what was queued; nothing more is queued meanwhile. The
 *   client's position is the crumb last handed to the socket.
 * - Slow clients (Typha's rule): when the client's crumb is more than `maxFallBehindMs` older
 *   than the newest crumb it is disconnected with GoAway 'too-slow', except during
 *   `newClientGraceMs` after its snapshot (counted once as grace used). The check runs on every
 *   advance and on every ping tick, so a client that stopped reading (stuck behind backpressure)
 *   is caught too. A socket that makes no write progress for `writeTimeoutMs` is dropped.
 * - Pings every `pingIntervalMs`; no pong within the pong timeout closes the connection.
 * - Any malformed or unexpected frame closes this connection only (protocol-error); oversize
 *   frames are refused by ws (`maxPayload`, close 1009) before they are buffered.
 */
import type { Socket } from 'node:net'
import type { WebSocket, RawData } from 'ws'
import { assertNever, isMeshError, type Logger } from '@cattail/common'
import type { SyncStatus } from '@cattail/model'
import {
  CLOSE_CODES,
  ENCODING_MSGPACK,
  FEATURES,
  FrameTooLargeError,
  chooseStartMode,
  decodeFrame,
  encodeFrame,
  negotiate,
  type ClientHello,
  type CloseCode,
  type DeltasCompression,
  type GoAwayReason,
  type ServerCapabilities,
} from '@cattail/syncproto'
import type { Breadcrumb } from '../snapcache/breadcrumb.js'
import type { RemoteState } from '../snapcache/cached-kv.js'
import type { SnapshotCache } from '../snapcache/snapshot-cache.js'
import type { CacheMetrics } from '../metrics/cache-metrics.js'
import { effectivePongTimeoutMs, type SyncServerConfig } from './server-config.js'
import type { SharedFrames } from './shared-frames.js'
import type { SharedSnapshots } from './shared-snapshots.js'
import type { WsFrames } from './ws-frame.js'

/** Lifecycle of a connection. */
export type ConnectionState = 'handshake' | 'snapshot' | 'streaming' | 'closed'

/** Why a connection ended: a GoAway reason we sent, or the peer / the server going away. */
export type CloseCause = GoAwayReason | 'peer-closed' | 'stopped'

/** What a connection needs from its server. */
export interface ConnectionContext {
  readonly cfg: SyncServerConfig
  readonly cache: SnapshotCache
  readonly snapshots: SharedSnapshots
  readonly frames: SharedFrames
  /** Pre-framed WebSocket copies of shared payloads. */
  readonly wsFrames: WsFrames
  readonly metrics: CacheMetrics | undefined
  readonly caps: ServerCapabilities
  readonly serverVersion: string
  readonly nowMs: () => number
  /** A valid hello arrived: the handshake timer of `socket` must not fire. */
  onHello(socket: Socket): void
  /** Called exactly once when the connection closes, whatever the cause. */
  onClosed(conn: Connection, cause: CloseCause, wasStreaming: boolean): void
}

/** Options of {@link Connection.close}. */
interface CloseOptions {
  readonly message?: string
  readonly code: CloseCode
  /** Send a GoAway frame first. */
  readonly goAway: boolean
  /** Destroy the socket at once instead of a closing handshake (a client that does not read). */
  readonly terminate: boolean
  readonly reconnectAfterMs?: number
}

/** A client connection, from WebSocket upgrade to close. */
export class Connection {
  #state: ConnectionState = 'handshake'
  #log: Logger
  /** The last crumb handed to the socket (the client's position). */
  #crumb: Breadcrumb | undefined
  /** The seq the client holds after the frames handed to the socket so far. */
  #sentSeq = 0
  #sentStatus: SyncStatus | undefined
  #sentRemotes: ReadonlyMap<string, RemoteState> | undefined
  #lastPongMs: number
  #graceEndMs = 0
  #graceUsed = false
  #pingTimer: NodeJS.Timeout | undefined
  #sends = 0
  #flushed = 0
  #flushWaiter: { target: number; resolve: () => void } | undefined
  #drainSinceMs: number | undefined
  #bytesSent = 0
  #mode: 'resume' | 'snapshot' | undefined
  #nodeName: string | undefined
  /** Deltas encoding this client accepts (feature `deltas-deflate`). */
  #deltasCompression: DeltasCompression = 'none'

  constructor(
    private readonly ctx: ConnectionContext,
    private readonly ws: WebSocket,
    /** The socket under the WebSocket (TLS socket when TLS is on). */
    readonly socket: Socket,
    /** Server-local connection id. */
    readonly id: string,
    log: Logger
  ) {
    this.#log = log.child({ connId: id })
    this.#lastPongMs = ctx.nowMs()
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary))
    ws.on('close', () => {
      if (this.#state !== 'closed') {
        this.close('peer-closed', { code: CLOSE_CODES.normal, goAway: false, terminate: false })
      }
    })
    ws.on('error', (err) => {
      // ws reports oversize frames (then closes with 1009) and socket errors here.
      this.#log.warn({ err }, 'websocket error')
      if (this.#state !== 'closed') {
        this.ctx.metrics?.connectionsRejected.inc({ reason: 'ws-error' })
        this.close('protocol-error', {
          code: CLOSE_CODES.protocolError,
          goAway: false,
          terminate: true,
        })
      }
    })
  }

  /** Current lifecycle state. */
  get state(): ConnectionState {
    return this.#state
  }

  /** How the client started: resumed from a seq, or took a snapshot (after the hello). */
  get mode(): 'resume' | 'snapshot' | undefined {
    return this.#mode
  }

  /** The seq the client holds after everything handed to its socket. */
  get sentSeq(): number {
    return this.#sentSeq
  }

  /** The node the client named in its hello (undefined before it). */
  get nodeName(): string | undefined {
    return this.#nodeName
  }

  /** How far behind the latest breadcrumb the client is, ms (undefined before streaming). */
  get lagMs(): number | undefined {
    if (this.#crumb === undefined || this.#state !== 'streaming') return undefined
    return this.ctx.cache.latest.timestampMs - this.#crumb.timestampMs
  }

  /** Bytes handed to this client's socket. */
  get bytesSent(): number {
    return this.#bytesSent
  }

  /**
   * Closes the connection (idempotent): optionally a GoAway first, then a closing handshake or
   * an immediate teardown. Stops every loop and timer of this connection.
   */
  close(cause: CloseCause, opts: CloseOptions): void {
    if (this.#state === 'closed') return
    const wasStreaming = this.#state === 'streaming'
    this.#state = 'closed'
    clearInterval(this.#pingTimer)
    this.#flushWaiter?.resolve()
    this.#flushWaiter = undefined
    this.ctx.onClosed(this, cause, wasStreaming)
    if (this.ws.readyState === this.ws.OPEN) {
      if (opts.goAway && cause !== 'peer-closed' && cause !== 'stopped') {
        this.ws.send(
          encodeFrame({
            type: 'go-away',
            reason: cause,
            ...(opts.message !== undefined && { message: opts.message }),
            ...(opts.reconnectAfterMs !== undefined && { reconnectAfterMs: opts.reconnectAfterMs }),
          })
        )
      }
      if (opts.terminate) {
        this.ws.terminate()
      } else {
        this.ws.close(opts.code, (opts.message ?? cause).slice(0, 120))
        // A peer that never answers the close frame is cut off (ws's own timer is 30 s).
        setTimeout(() => this.ws.terminate(), 2000).unref()
      }
    } else if (this.ws.readyState === this.ws.CONNECTING) {
      this.ws.terminate()
    }
  }

  /** Ping tick: pong timeout, lag and write-progress checks, then a ping. */
  #tick(): void {
    if (this.#state === 'closed') return
    const now = this.ctx.nowMs()
    const cfg = this.ctx.cfg
    if (now - this.#lastPongMs > effectivePongTimeoutMs(cfg)) {
      this.#log.warn({ sincePongMs: now - this.#lastPongMs }, 'no pong in time; disconnecting')
      this.ctx.metrics?.connectionsRejected.inc({ reason: 'pong-timeout' })
      this.close('timeout', {
        code: CLOSE_CODES.timeout,
        goAway: true,
        terminate: true,
        message: 'pong timeout',
      })
      return
    }
    if (this.#crumb !== undefined && this.#state === 'streaming') {
      const lagMs = this.ctx.cache.latest.timestampMs - this.#crumb.timestampMs
      if (lagMs > cfg.maxFallBehindMs && this.#tooSlow(lagMs)) return
    }
    if (this.#drainSinceMs !== undefined && now - this.#drainSinceMs > cfg.writeTimeoutMs) {
      this.#log.warn(
        { stalledMs: now - this.#drainSinceMs },
        'client socket made no progress; disconnecting'
      )
      this.ctx.metrics?.connectionsDroppedLag.inc()
      this.close('too-slow', {
        code: CLOSE_CODES.tooSlow,
        goAway: true,
        terminate: true,
        message: 'write timeout',
      })
      return
    }
    this.#send(encodeFrame({ type: 'ping', timestampMs: now }))
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#state === 'closed') return
    if (!isBinary) {
      this.#protocolError('text frame', CLOSE_CODES.protocolError)
      return
    }
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
    let msg
    try {
      msg = decodeFrame(buf, { maxFrameBytes: this.ctx.cfg.maxInboundBytes, maxKvsPerFrame: 0 })
    } catch (err) {
      const tooBig = err instanceof FrameTooLargeError
      this.#log.warn({ err }, 'bad frame from client; disconnecting')
      this.#protocolError(
        isMeshError(err) ? err.message : 'bad frame',
        tooBig ? CLOSE_CODES.tooBig : CLOSE_CODES.protocolError
      )
      return
    }
    if (this.#state === 'handshake') {
      if (msg.type !== 'client-hello') {
        this.#protocolError(`expected client-hello, got ${msg.type}`, CLOSE_CODES.protocolError)
        return
      }
      this.#state = 'snapshot' // until the start mode is known; no second hello is accepted
      this.#run(msg).catch((err: unknown) => {
        if (this.#state === 'closed') return // aborted by close(): the normal way out
        this.#log.error({ err }, 'connection failed; closing')
        this.close('other', {
          code: CLOSE_CODES.internalError,
          goAway: true,
          terminate: false,
          message: 'internal error',
        })
      })
      return
    }
    switch (msg.type) {
      case 'pong': {
        const now = this.ctx.nowMs()
        this.#lastPongMs = now
        const rttMs = now - msg.pingTimestampMs
        if (rttMs >= 0) this.ctx.metrics?.pingLatencySeconds.observe(rttMs / 1000)
        return
      }
      case 'go-away':
        this.#log.info({ reason: msg.reason }, 'client said goodbye')
        this.close('peer-closed', { code: CLOSE_CODES.normal, goAway: false, terminate: false })
        return
      case 'client-hello':
      case 'server-hello':
      case 'snapshot-chunk':
      case 'deltas':
      case 'status':
      case 'ping':
      case 'unknown':
        this.#protocolError(`unexpected ${msg.type} after the handshake`, CLOSE_CODES.protocolError)
        return
      default:
        assertNever(msg, 'frame')
    }
  }

  #protocolError(message: string, code: CloseCode): void {
    this.ctx.metrics?.connectionsRejected.inc({ reason: 'protocol-error' })
    this.close('protocol-error', { code, goAway: true, terminate: false, message })
  }

  /** Handshake → snapshot or resume → stream deltas until closed. */
  async #run(hello: ClientHello): Promise<void> {
    const { cache, caps, cfg } = this.ctx
    const neg = negotiate(hello, caps)
    if (!neg.ok) {
      this.#log.warn({ reason: neg.reason, node: hello.nodeName }, 'handshake rejected')
      this.ctx.metrics?.connectionsRejected.inc({ reason: 'unsupported' })
      this.close('unsupported', {
        code: CLOSE_CODES.policyViolation,
        goAway: true,
        terminate: false,
        message: neg.message,
      })
      return
    }
    this.ctx.onHello(this.socket)
    if (neg.features.includes(FEATURES.deltasDeflate)) this.#deltasCompression = 'deflate'
    this.#log = this.#log.child({ node: hello.nodeName })
    this.#nodeName = hello.nodeName
    let mode = chooseStartMode(hello.resume, neg.features, {
      epoch: cache.epoch,
      resumableFromSeq: cache.oldestRetainedSeq,
      currentSeq: cache.latest.seq,
    })
    const resumeAt =
      mode === 'resume' && hello.resume !== undefined ? cache.crumbAt(hello.resume.seq) : undefined
    if (resumeAt === undefined) mode = 'snapshot'
    this.#mode = mode
    this.#send(
      encodeFrame({
        type: 'server-hello',
        version: neg.version,
        features: neg.features,
        epoch: cache.epoch,
        encoding: ENCODING_MSGPACK,
        snapshotCompression: neg.snapshotCompression,
        mode,
        syncerType: neg.syncerType,
        serverConnId: this.id,
        serverVersion: this.ctx.serverVersion,
      })
    )
    this.#pingTimer = setInterval(() => this.#tick(), cfg.pingIntervalMs)
    let start: Breadcrumb
    if (resumeAt !== undefined) {
      start = resumeAt
      this.ctx.metrics?.connectionsResumed.inc()
      this.#log.info({ seq: resumeAt.seq, latestSeq: cache.latest.seq }, 'client resumed')
    } else {
      const startedMs = this.ctx.nowMs()
      const snap = this.ctx.snapshots.acquire(neg.snapshotCompression)
      for (const pending of snap.frames) {
        const f = await pending
        if (this.#state === 'closed') return
        this.#send(f, true)
        const full = this.#backpressure()
        if (full !== undefined) await full
      }
      start = snap.crumb
      this.#log.info(
        {
          seq: snap.crumb.seq,
          kvs: snap.crumb.kvCount,
          chunks: snap.frames.length,
          ms: this.ctx.nowMs() - startedMs,
        },
        'snapshot sent'
      )
    }
    if (this.#state === 'closed') return
    this.#crumb = start
    this.#sentSeq = start.seq
    this.#graceEndMs = this.ctx.nowMs() + cfg.newClientGraceMs
    this.#sendStatus(start)
    this.#state = 'streaming'
    this.ctx.metrics?.connectionsStreaming.inc()
    await this.#streamDeltas(start)
  }

  async #streamDeltas(from: Breadcrumb): Promise<void> {
    const { cache, cfg, frames, metrics } = this.ctx
    let crumb = from
    for (;;) {
      // No AbortSignal here: per-wait abort listeners cost more than the wait itself with
      // thousands of clients. A closed connection's loop wakes at the next crumb and exits.
      const first = crumb.nextIfReady ?? (await crumb.next())
      if (this.#state === 'closed') return
      const lagMs = cache.latest.timestampMs - first.timestampMs
      metrics?.clientLagSeconds.observe(lagMs / 1000)
      if (lagMs > cfg.maxFallBehindMs && this.#tooSlow(lagMs)) return
      let end = first
      let frame: Buffer | undefined
      let kvs = first.deltas.length
      if (this.#sentSeq === first.seq - 1 && lagMs < cfg.minBatchingAgeMs) {
        // Up to date: the crumb's own frame, built once and shared by every such client.
        if (kvs > 0) frame = frames.deltasOf(first, this.#deltasCompression)
      } else {
        // Behind: merge whole crumbs into one frame, up to the limits, ending at a status change.
        // Clients at the same position share the merged frame (SharedFrames memo).
        let bytes = first.deltaBytes
        while (!this.#statusDiffers(end)) {
          const n = end.nextIfReady
          if (n === undefined) break
          if (kvs + n.deltas.length > cfg.maxDeltaKvs) break
          if (bytes + n.deltaBytes > cfg.maxDeltaBytes) break
          kvs += n.deltas.length
          bytes += n.deltaBytes
          end = n
        }
        if (kvs > 0) {
          const last = end
          frame = frames.mergedOf(this.#sentSeq + 1, last, bytes, this.#deltasCompression, () => {
            const blobs: Uint8Array[] = []
            for (
              let c: Breadcrumb | undefined = first;
              c !== undefined;
              c = c === last ? undefined : c.nextIfReady
            ) {
              for (const d of c.deltas) blobs.push(d.blob)
            }
            return blobs
          })
        }
      }
      if (frame !== undefined) {
        this.#send(frame, true)
        this.#sentSeq = end.seq
        metrics?.kvsPerMessage.observe(kvs)
      }
      if (this.#statusDiffers(end)) this.#sendStatus(end)
      this.#crumb = end
      crumb = end
      const full = this.#backpressure()
      if (full !== undefined) await full
    }
  }

  #statusDiffers(c: Breadcrumb): boolean {
    return c.status !== this.#sentStatus || c.remotes !== this.#sentRemotes
  }

  #sendStatus(c: Breadcrumb): void {
    this.#send(this.ctx.frames.statusOf(c), true)
    this.#sentStatus = c.status
    this.#sentRemotes = c.remotes
  }

  /** Returns true when the client was disconnected for lagging. */
  #tooSlow(lagMs: number): boolean {
    if (this.ctx.nowMs() < this.#graceEndMs) {
      if (!this.#graceUsed) {
        this.#graceUsed = true
        this.ctx.metrics?.connectionsGraceUsed.inc()
        this.#log.warn({ lagMs }, 'new client fell behind; within its grace period')
      }
      return false
    }
    this.#log.warn(
      { lagMs, seq: this.#crumb?.seq, latestSeq: this.ctx.cache.latest.seq },
      'client fell behind; disconnecting'
    )
    this.ctx.metrics?.connectionsDroppedLag.inc()
    this.close('too-slow', {
      code: CLOSE_CODES.tooSlow,
      goAway: true,
      terminate: true,
      message: `fell ${lagMs} ms behind`,
    })
    return true
  }

  /**
   * Queues one frame. A `shared` payload (the same Buffer for many clients: snapshot chunks,
   * Deltas and Status frames) goes to the socket as one pre-framed Buffer built once for all
   * clients (`ws-frame.ts`); per-client frames go through ws.
   */
  #send(buf: Buffer, shared = false): void {
    if (this.ws.readyState !== this.ws.OPEN) return
    const n = ++this.#sends
    this.#bytesSent += buf.length
    this.ctx.metrics?.bytesSent.inc(buf.length)
    const done = (): void => {
      // Callbacks run in send order, with or without an error (a failed socket closes the ws).
      this.#flushed = n
      const w = this.#flushWaiter
      if (w !== undefined && n >= w.target) {
        this.#flushWaiter = undefined
        w.resolve()
      }
    }
    if (shared) this.socket.write(this.ctx.wsFrames.of(buf), done)
    else this.ws.send(buf, { binary: true }, done)
  }

  /**
   * While too much is buffered for this client, a promise that resolves once its socket has
   * flushed it; otherwise undefined, so the caller does not pay an await per frame (with
   * thousands of clients per crumb, that microtask hop is a measurable share of the fan-out).
   */
  #backpressure(): Promise<void> | undefined {
    if (this.ws.bufferedAmount <= this.ctx.cfg.highWaterBytes) return undefined
    if (this.#flushed >= this.#sends) return undefined
    this.#drainSinceMs = this.ctx.nowMs()
    return new Promise<void>((resolve) => {
      this.#flushWaiter = {
        target: this.#sends,
        resolve: () => {
          this.#drainSinceMs = undefined
          resolve()
        },
      }
    })
  }
}

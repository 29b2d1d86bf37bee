/**
 * A small scripted sync server for tests of clients (this package's SyncClient, the agent): it
 * speaks the real protocol over a real WebSocket on 127.0.0.1 but keeps its state in a plain Map
 * and lets a test drive every event (publish, status, ping, GoAway, garbage, drops).
 * It is NOT the cache's server (packages/cache): no fan-out tuning, no slow-client policy.
 */
import type { KVUpdate, SyncStatus } from '@cattail/model'
import { randomUUID } from 'node:crypto'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { decodeFrame } from '../codec/decode.js'
import { encodeDeltas } from '../codec/deltas.js'
import { encodeFrame } from '../codec/encode.js'
import { encodeKv } from '../codec/kv.js'
import { DEFAULT_SERVER_DECODE_LIMITS } from '../codec/limits.js'
import { encodeSnapshotChunks } from '../codec/snapshot.js'
import { chooseStartMode, negotiate } from '../messages/negotiate.js'
import {
  CLOSE_CODES,
  DEFAULT_SYNCER_TYPE,
  SUPPORTED_FEATURES,
  SUPPORTED_PROTOCOL_VERSIONS,
  SUPPORTED_SNAPSHOT_COMPRESSION,
} from '../messages/protocol.js'
import type {
  ClientHello,
  GoAway,
  Pong,
  RemoteStatusEntry,
  SnapshotCompression,
  StartMode,
} from '../messages/types.js'

/** Options of {@link FakeSyncServer.start}. */
export interface FakeSyncServerOptions {
  /** @default a random UUID */
  readonly epoch?: string
  /** Offer the resume feature. @default true */
  readonly resume?: boolean
  /** KVs per snapshot chunk (small, to exercise chunking). @default 2 */
  readonly maxChunkItems?: number
  /** @default 'deflate' */
  readonly compression?: SnapshotCompression
  /** Serve wss:// with this server cert; client certs are required and checked against `ca`. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string }
  /** Port on 127.0.0.1 (to "restart" a server at the same address). @default a free port */
  readonly port?: number
  /** Initial state. */
  readonly initial?: readonly KVUpdate[]
}

interface Entry {
  readonly seq: number
  readonly blob: Buffer
}

/** A scripted protocol peer for client tests. */
export class FakeSyncServer {
  /** Every ClientHello received, in order. */
  readonly hellos: ClientHello[] = []
  /** The start mode chosen for each accepted hello, in order. */
  readonly modes: StartMode[] = []
  /** Every Pong received. */
  readonly pongs: Pong[] = []
  /** Every GoAway a client sent before closing. */
  readonly clientGoAways: GoAway[] = []
  readonly epoch: string
  readonly #state = new Map<string, { update: KVUpdate; blob: Buffer }>()
  readonly #log: Entry[] = []
  readonly #streaming = new Set<WebSocket>()
  #seq = 0
  #resumableFromSeq = 0
  #status: SyncStatus = 'in-sync'
  #remotes: Record<string, RemoteStatusEntry> = {}
  #connectionsAccepted = 0

  private constructor(
    private readonly http: HttpServer,
    private readonly wss: WebSocketServer,
    private readonly opts: FakeSyncServerOptions
  ) {
    this.epoch = opts.epoch ?? randomUUID()
    this.#apply(opts.initial ?? [])
    this.#resumableFromSeq = this.#seq
    wss.on('connection', (ws) => this.#accept(ws))
  }

  /** Starts a server on 127.0.0.1 on a free port. */
  static async start(opts: FakeSyncServerOptions = {}): Promise<FakeSyncServer> {
    const http =
      opts.tls !== undefined
        ? createHttpsServer({
            cert: opts.tls.cert,
            key: opts.tls.key,
            ca: opts.tls.ca,
            requestCert: true,
            rejectUnauthorized: true,
          })
        : createHttpServer()
    const wss = new WebSocketServer({
      server: http,
      perMessageDeflate: false,
      maxPayload: DEFAULT_SERVER_DECODE_LIMITS.maxFrameBytes,
    })
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject)
      http.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
    })
    return new FakeSyncServer(http, wss, opts)
  }

  /** `ws://127.0.0.1:<port>` (or wss://). */
  get url(): string {
    const port = (this.http.address() as AddressInfo).port
    return `${this.opts.tls !== undefined ? 'wss' : 'ws'}://127.0.0.1:${port}`
  }

  /** Connections that completed the handshake and are open. */
  get streaming(): number {
    return this.#streaming.size
  }

  /** WebSocket connections accepted so far (handshake or not). */
  get connectionsAccepted(): number {
    return this.#connectionsAccepted
  }

  /** Current seq. */
  get seq(): number {
    return this.#seq
  }

  /** Applies updates (one seq each) and sends them as one Deltas frame to streaming clients. */
  publish(updates: readonly KVUpdate[]): void {
    if (updates.length === 0) return
    const firstSeq = this.#seq + 1
    const blobs = this.#apply(updates)
    this.broadcast(encodeDeltas({ firstSeq, seq: this.#seq }, blobs))
  }

  /** Changes the state without telling anyone (simulates changes while a client is away). */
  publishSilently(updates: readonly KVUpdate[]): void {
    this.#apply(updates)
  }

  /** Sets and broadcasts the status. */
  setStatus(status: SyncStatus, remotes: Record<string, RemoteStatusEntry> = {}): void {
    this.#status = status
    this.#remotes = remotes
    this.broadcast(this.#statusFrame())
  }

  /** Makes every current seq non-resumable (as if the log had been trimmed). */
  forgetLog(): void {
    this.#resumableFromSeq = this.#seq
    this.#log.length = 0
  }

  /** Sends a ping to every streaming client. */
  ping(timestampMs: number): void {
    this.broadcast(encodeFrame({ type: 'ping', timestampMs }))
  }

  /** Sends raw bytes to every streaming client. */
  broadcast(frame: Buffer): void {
    for (const ws of this.#streaming) ws.send(frame)
  }

  /** Sends GoAway to every streaming client and closes them. */
  goAway(msg: Omit<GoAway, 'type'>): void {
    this.broadcast(encodeFrame({ type: 'go-away', ...msg }))
    for (const ws of this.#streaming) ws.close(CLOSE_CODES.goingAway, msg.reason)
  }

  /** Cuts every connection without a close handshake. */
  dropAll(): void {
    for (const ws of this.wss.clients) ws.terminate()
  }

  /** Closes everything. */
  async stop(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate()
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
    await new Promise<void>((resolve) => this.http.close(() => resolve()))
  }

  #apply(updates: readonly KVUpdate[]): Buffer[] {
    return updates.map((u) => {
      const blob = encodeKv(u)
      this.#seq++
      this.#log.push({ seq: this.#seq, blob })
      if (u.value === undefined) this.#state.delete(u.key)
      else this.#state.set(u.key, { update: u, blob })
      return blob
    })
  }

  #statusFrame(): Buffer {
    return encodeFrame({ type: 'status', status: this.#status, remotes: this.#remotes })
  }

  #accept(ws: WebSocket): void {
    this.#connectionsAccepted++
    let hello: ClientHello | undefined
    ws.on('close', () => this.#streaming.delete(ws))
    ws.on('error', () => ws.terminate())
    ws.on('message', (data, isBinary) => {
      let msg
      try {
        if (!isBinary) throw new Error('text frame')
        msg = decodeFrame(data as Buffer, DEFAULT_SERVER_DECODE_LIMITS)
      } catch {
        ws.close(CLOSE_CODES.protocolError, 'bad frame')
        return
      }
      if (hello === undefined) {
        if (msg.type !== 'client-hello') {
          ws.close(CLOSE_CODES.protocolError, 'expected client hello')
          return
        }
        hello = msg
        this.#handshake(ws, msg)
        return
      }
      if (msg.type === 'pong') {
        this.pongs.push(msg)
      } else if (msg.type === 'go-away') {
        this.clientGoAways.push(msg)
        ws.close(CLOSE_CODES.normal, 'client said goodbye')
      } else {
        ws.close(CLOSE_CODES.protocolError, `unexpected ${msg.type}`)
      }
    })
  }

  #handshake(ws: WebSocket, hello: ClientHello): void {
    this.hellos.push(hello)
    const result = negotiate(hello, {
      versions: SUPPORTED_PROTOCOL_VERSIONS,
      features: SUPPORTED_FEATURES.filter((f) => f !== 'resume' || this.opts.resume !== false),
      syncerTypes: [DEFAULT_SYNCER_TYPE],
      snapshotCompression: [this.opts.compression ?? 'deflate', ...SUPPORTED_SNAPSHOT_COMPRESSION],
    })
    if (!result.ok) {
      ws.send(encodeFrame({ type: 'go-away', reason: 'unsupported', message: result.message }))
      ws.close(CLOSE_CODES.policyViolation, result.reason)
      return
    }
    const mode = chooseStartMode(hello.resume, result.features, {
      epoch: this.epoch,
      resumableFromSeq: this.#resumableFromSeq,
      currentSeq: this.#seq,
    })
    this.modes.push(mode)
    ws.send(
      encodeFrame({
        type: 'server-hello',
        version: result.version,
        features: result.features,
        epoch: this.epoch,
        encoding: 'msgpack',
        snapshotCompression: result.snapshotCompression,
        mode,
        syncerType: result.syncerType,
        serverConnId: String(this.#connectionsAccepted),
        serverVersion: 'fake',
      })
    )
    if (mode === 'snapshot') {
      const blobs = [...this.#state.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, v]) => v.blob)
      for (const chunk of encodeSnapshotChunks(blobs, {
        seq: this.#seq,
        maxChunkBytes: 1024 * 1024,
        maxChunkItems: this.opts.maxChunkItems ?? 2,
        compression: result.snapshotCompression,
      })) {
        ws.send(chunk)
      }
    } else {
      const from = (hello.resume?.seq ?? 0) + 1
      const missed = this.#log.filter((e) => e.seq >= from).map((e) => e.blob)
      if (missed.length > 0) ws.send(encodeDeltas({ firstSeq: from, seq: this.#seq }, missed))
    }
    ws.send(this.#statusFrame())
    this.#streaming.add(ws)
  }
}

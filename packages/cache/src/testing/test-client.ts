/**
 * A lean protocol client for tests and the fan-out benchmark: it speaks the sync protocol with
 * syncproto's codec, applies snapshots and deltas to a plain map and records what happened
 * (mode, epoch, seq, status, GoAway, close code). The reference client with reconnects is
 * syncproto's `SyncClient`; this one does exactly one connection and hides nothing.
 */
import { once } from 'node:events'
import WebSocket from 'ws'
import type { KVUpdate, SyncStatus } from '@cattail/model'
import {
  DEFAULT_SYNCER_TYPE,
  SUPPORTED_FEATURES,
  SUPPORTED_PROTOCOL_VERSIONS,
  decodeFrame,
  encodeFrame,
  type GoAway,
  type RemoteStatusEntry,
  type ResumePoint,
  type SnapshotCompression,
  type StartMode,
} from '@cattail/syncproto'

/** Options of {@link TestClient.connect}. */
export interface TestClientOptions {
  readonly url: string
  readonly nodeName?: string
  readonly resume?: ResumePoint
  readonly snapshotCompression?: readonly SnapshotCompression[]
  /** Features announced in the hello (an old client lacks some). @default SUPPORTED_FEATURES */
  readonly features?: readonly string[]
  /** Answer pings. @default true */
  readonly autoPong?: boolean
  /** Send the hello on open. @default true */
  readonly sendHello?: boolean
  /** TLS material (PEM) for wss:// URLs. */
  readonly tls?: { readonly ca: string; readonly cert?: string; readonly key?: string }
  /** Called for each applied update (after a snapshot chunk or a Deltas frame). */
  readonly onUpdates?: (updates: readonly KVUpdate[], kind: 'snapshot' | 'deltas') => void
}

/** One test connection. */
export class TestClient {
  /** Current state: key → update (values only). */
  readonly kvs = new Map<string, KVUpdate>()
  epoch: string | undefined
  mode: StartMode | undefined
  /** Seq the client holds (updated after the last snapshot chunk and each Deltas frame). */
  seq = 0
  status: SyncStatus | undefined
  remotes: Readonly<Record<string, RemoteStatusEntry>> = {}
  snapshotDone = false
  snapshotChunks = 0
  deltaFrames = 0
  /** Deltas frames that arrived raw-deflated (feature `deltas-deflate`). */
  deflatedDeltaFrames = 0
  deltaKvs = 0
  pings = 0
  bytesReceived = 0
  goAway: GoAway | undefined
  closeCode: number | undefined
  closed = false
  error: Error | undefined
  #pendingSnapshot = new Map<string, KVUpdate>()

  private constructor(
    readonly ws: WebSocket,
    private readonly opts: TestClientOptions
  ) {
    ws.on('message', (data: Buffer) => this.#onFrame(data))
    ws.on('close', (code) => {
      this.closeCode = code
      this.closed = true
    })
    ws.on('error', (err) => {
      this.error = err
    })
  }

  /** Opens the WebSocket (and sends the hello unless told not to); resolves once open. */
  static async connect(opts: TestClientOptions): Promise<TestClient> {
    const ws = new WebSocket(opts.url, {
      perMessageDeflate: false,
      maxPayload: 256 * 1024 * 1024,
      ...(opts.tls !== undefined && {
        ca: opts.tls.ca,
        ...(opts.tls.cert !== undefined && { cert: opts.tls.cert, key: opts.tls.key }),
      }),
    })
    const c = new TestClient(ws, opts)
    const [res] = (await Promise.race([
      once(ws, 'open').then(() => ['open']),
      once(ws, 'close').then(() => ['close']),
    ])) as [string]
    if (res !== 'open')
      throw c.error ?? new Error(`connection closed before open (code ${c.closeCode})`)
    if (opts.sendHello !== false) c.sendHello()
    return c
  }

  /** Sends the ClientHello. */
  sendHello(): void {
    this.ws.send(
      encodeFrame({
        type: 'client-hello',
        versions: SUPPORTED_PROTOCOL_VERSIONS,
        features: this.opts.features ?? SUPPORTED_FEATURES,
        nodeName: this.opts.nodeName ?? 'test-node',
        syncerType: DEFAULT_SYNCER_TYPE,
        clientVersion: 'test',
        snapshotCompression: this.opts.snapshotCompression ?? ['deflate'],
        ...(this.opts.resume !== undefined && { resume: this.opts.resume }),
      })
    )
  }

  /** Where this client could resume from. */
  get resumePoint(): ResumePoint | undefined {
    return this.epoch !== undefined ? { epoch: this.epoch, seq: this.seq } : undefined
  }

  /** Stops reading from the socket (the server sees backpressure). */
  pause(): void {
    this.ws.pause()
  }

  /** Closes the connection and waits for it. */
  async close(): Promise<void> {
    if (this.closed) return
    const done = once(this.ws, 'close')
    this.ws.terminate()
    await done
  }

  #onFrame(data: Buffer): void {
    this.bytesReceived += data.length
    const msg = decodeFrame(data)
    switch (msg.type) {
      case 'server-hello':
        this.epoch = msg.epoch
        this.mode = msg.mode
        if (msg.mode === 'resume') this.snapshotDone = true
        break
      case 'snapshot-chunk':
        this.snapshotChunks++
        for (const u of msg.updates) this.#pendingSnapshot.set(u.key, u)
        this.opts.onUpdates?.(msg.updates, 'snapshot')
        if (msg.last) {
          this.kvs.clear()
          for (const [k, v] of this.#pendingSnapshot) this.kvs.set(k, v)
          this.#pendingSnapshot = new Map()
          this.seq = msg.seq
          this.snapshotDone = true
        }
        break
      case 'deltas':
        if (msg.firstSeq !== this.seq + 1) {
          this.error = new Error(`seq gap: have ${this.seq}, frame starts at ${msg.firstSeq}`)
        }
        for (const u of msg.updates) {
          if (u.value === undefined) this.kvs.delete(u.key)
          else this.kvs.set(u.key, u)
        }
        this.seq = msg.seq
        this.deltaFrames++
        if (deltasHeaderCompression(data) === 'deflate') this.deflatedDeltaFrames++
        this.deltaKvs += msg.updates.length
        this.opts.onUpdates?.(msg.updates, 'deltas')
        break
      case 'status':
        this.status = msg.status
        this.remotes = msg.remotes
        break
      case 'ping':
        this.pings++
        if (this.opts.autoPong !== false) {
          this.ws.send(
            encodeFrame({
              type: 'pong',
              pingTimestampMs: msg.timestampMs,
              pongTimestampMs: Date.now(),
            })
          )
        }
        break
      case 'go-away':
        this.goAway = msg
        break
      case 'client-hello':
      case 'pong':
      case 'unknown':
        break
    }
  }
}

// `compression: 'deflate'` as the encoder writes it in a Deltas header (two msgpack fixstrs).
const DEFLATE_FIELD = Buffer.from('\xabcompression\xa7deflate', 'latin1')

/** The `compression` field of a Deltas frame's header, if any (found in the header's bytes). */
function deltasHeaderCompression(frame: Buffer): string | undefined {
  const at = frame.indexOf(DEFLATE_FIELD, 1)
  return at > 0 && at < 64 ? 'deflate' : undefined
}

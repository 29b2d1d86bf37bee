/**
 * A lean load client for benchmarks: a raw TCP socket speaking just enough WebSocket (RFC 6455:
 * the upgrade, unmasked server frames, masked client frames) and just enough of the sync
 * protocol to measure a fan-out server without the client becoming the bottleneck.
 *
 * # Implementation
 * - Frames are parsed in place from socket chunks; only the first `keepBytes` of a payload are
 *   copied. Snapshot chunks are counted and skipped, so receiving a snapshot costs about what a
 *   raw TCP reader costs; control frames are decoded; Deltas frames are decoded as below.
 * - A Deltas frame is decoded only as far as its header and its **first** KV (the oldest in the
 *   frame): its value carries the send timestamp, so the measured latency is the frame's worst.
 *   The client announces `deltas-deflate`; a deflated frame is kept whole and its first KV read
 *   through a {@link DeltasInflateMemo} shared by the process's clients (see deltas-peek.ts).
 * - Pings are answered; the client is "in sync" at the first Status 'in-sync' after its snapshot.
 *
 * Why not the `ws` client: it concatenates every message into one Buffer (a copy of the whole
 * snapshot per client) and decodes it, which measures the client, not the server.
 */
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import {
  DEFAULT_SYNCER_TYPE,
  SUPPORTED_FEATURES,
  SUPPORTED_PROTOCOL_VERSIONS,
  decodeFrame,
  encodeFrame,
} from '@cattail/syncproto'
import { DeltasInflateMemo, peekDeltas } from './deltas-peek.js'

/** What a lean client reports through its callbacks. */
export interface LeanClientEvents {
  /** First Status 'in-sync' after the snapshot (or resume). */
  onInSync?(c: LeanClient): void
  /** A Deltas frame: its last seq and the send timestamp of its first KV (if present). */
  onDeltas?(c: LeanClient, seq: number, firstKvSentAtMs: number | undefined): void
  onClose?(c: LeanClient): void
}

/** Options of a lean client. */
export interface LeanClientOptions {
  readonly host: string
  readonly port: number
  readonly nodeName: string
  /** Label whose value is the send timestamp in ms (Deltas latency). @default 'ts' */
  readonly tsLabel?: string
  /** Bytes of a payload kept for decoding (plain Deltas: header + first KV). @default 8192 */
  readonly keepBytes?: number
  /** Shared by every client of a load process (deflated Deltas). @default one per client */
  readonly inflateMemo?: DeltasInflateMemo
}

/** Largest Deltas frame kept whole (a deflated frame is only readable whole), in bytes. */
const MAX_DELTAS_KEEP_BYTES = 4 * 1024 * 1024

type ParseState = 'http' | 'header' | 'payload'

/** One lean connection. */
export class LeanClient {
  /** Bytes read from the socket (HTTP response and frames). */
  bytesReceived = 0
  snapshotChunks = 0
  /** Wire payload size of every snapshot chunk received (the raw-socket baseline replays them). */
  readonly snapshotFrameBytes: number[] = []
  deltaFrames = 0
  inSync = false
  seq = 0
  closed = false
  goAwayReason: string | undefined
  readonly socket: Socket
  #state: ParseState = 'http'
  #http = ''
  readonly #hdr = Buffer.alloc(14)
  #hdrLen = 0
  #hdrNeed = 2
  #opcode = 0
  #left = 0
  #len = 0
  #keep: Buffer | undefined
  #keepPos = 0
  #snapshotSeen = false
  readonly #memo: DeltasInflateMemo

  constructor(
    private readonly opts: LeanClientOptions,
    private readonly events: LeanClientEvents = {}
  ) {
    this.#memo = opts.inflateMemo ?? new DeltasInflateMemo(64)
    this.socket = connect(opts.port, opts.host)
    this.socket.setNoDelay(true)
    this.socket.on('connect', () => {
      const key = randomBytes(16).toString('base64')
      this.socket.write(
        `GET / HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
      )
    })
    this.socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    this.socket.on('error', () => undefined) // 'close' follows; the benchmark counts closes
    this.socket.on('close', () => {
      this.closed = true
      this.events.onClose?.(this)
    })
  }

  /** Closes the socket. */
  destroy(): void {
    this.socket.destroy()
  }

  #onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length
    let off = 0
    if (this.#state === 'http') {
      this.#http += chunk.toString('latin1')
      const end = this.#http.indexOf('\r\n\r\n')
      if (end < 0) return
      if (!this.#http.startsWith('HTTP/1.1 101')) {
        this.socket.destroy()
        return
      }
      off = chunk.length - (this.#http.length - end - 4)
      this.#http = ''
      this.#state = 'header'
      this.#sendFrame(
        encodeFrame({
          type: 'client-hello',
          versions: SUPPORTED_PROTOCOL_VERSIONS,
          features: SUPPORTED_FEATURES,
          nodeName: this.opts.nodeName,
          syncerType: DEFAULT_SYNCER_TYPE,
          clientVersion: 'bench',
          snapshotCompression: ['deflate'],
        })
      )
    }
    const n = chunk.length
    while (off < n) {
      if (this.#state === 'header') {
        while (this.#hdrLen < this.#hdrNeed && off < n) {
          this.#hdr[this.#hdrLen++] = chunk[off++] as number
          if (this.#hdrLen === 2) {
            const l7 = (this.#hdr[1] as number) & 0x7f
            this.#hdrNeed = 2 + (l7 === 126 ? 2 : l7 === 127 ? 8 : 0)
          }
        }
        if (this.#hdrLen < this.#hdrNeed) return
        const l7 = (this.#hdr[1] as number) & 0x7f
        const len =
          l7 === 126
            ? this.#hdr.readUInt16BE(2)
            : l7 === 127
              ? Number(this.#hdr.readBigUInt64BE(2))
              : l7
        this.#opcode = (this.#hdr[0] as number) & 0x0f
        this.#len = len
        this.#left = len
        this.#keep = undefined // allocated at the first payload byte, once the type is known
        this.#keepPos = 0
        this.#hdrLen = 0
        this.#hdrNeed = 2
        this.#state = 'payload'
        if (len === 0) {
          this.#keep = Buffer.alloc(0)
          this.#deliver()
        }
        continue
      }
      const take = Math.min(this.#left, n - off)
      if (this.#keep === undefined) {
        // Snapshot chunks keep only their type byte; Deltas all of them (a deflated one is only
        // readable whole); other frames their head or all of them.
        const t = chunk[off]
        const size =
          t === 0x03
            ? 1
            : Math.min(
                this.#len,
                t === 0x04 ? MAX_DELTAS_KEEP_BYTES : (this.opts.keepBytes ?? 8192)
              )
        this.#keep = Buffer.allocUnsafe(size)
      }
      const keep = this.#keep
      if (this.#keepPos < keep.length) {
        const copy = Math.min(take, keep.length - this.#keepPos)
        chunk.copy(keep, this.#keepPos, off, off + copy)
        this.#keepPos += copy
      }
      off += take
      this.#left -= take
      if (this.#left === 0) this.#deliver()
    }
  }

  #deliver(): void {
    this.#state = 'header'
    const keep = this.#keep as Buffer
    if (this.#opcode === 8) {
      this.socket.end()
      return
    }
    if (this.#opcode !== 2) return
    const type = keep[0]
    if (type === 0x03) {
      this.snapshotChunks++
      this.snapshotFrameBytes.push(this.#len)
      this.#snapshotSeen = true
      return
    }
    if (type === 0x04) {
      this.deltaFrames++
      // Header seq and the first KV's timestamp label, without decoding the frame.
      const d = peekDeltas(keep, keep.length === this.#len, this.opts.tsLabel ?? 'ts', this.#memo)
      if (!Number.isNaN(d.seq)) this.seq = d.seq
      this.events.onDeltas?.(this, this.seq, d.firstTs)
      return
    }
    if (keep.length < this.#len) return // an oversize frame of another type: not ours to decode
    const msg = decodeFrame(keep)
    switch (msg.type) {
      case 'server-hello':
        if (msg.mode === 'resume') this.#snapshotSeen = true
        return
      case 'status':
        if (msg.status === 'in-sync' && !this.inSync && this.#snapshotSeen) {
          this.inSync = true
          this.events.onInSync?.(this)
        }
        return
      case 'ping':
        this.#sendFrame(
          encodeFrame({
            type: 'pong',
            pingTimestampMs: msg.timestampMs,
            pongTimestampMs: Date.now(),
          })
        )
        return
      case 'go-away':
        this.goAwayReason = msg.reason
        return
      case 'client-hello':
      case 'pong':
      case 'deltas':
      case 'snapshot-chunk':
      case 'unknown':
        return
    }
  }

  /** Sends one masked binary frame (RFC 6455 §5.3: client frames are masked). */
  #sendFrame(payload: Buffer): void {
    const len = payload.length
    const head = len < 126 ? 2 : len < 65536 ? 4 : 10
    const out = Buffer.allocUnsafe(head + 4 + len)
    out[0] = 0x82
    if (len < 126) out[1] = 0x80 | len
    else if (len < 65536) {
      out[1] = 0x80 | 126
      out.writeUInt16BE(len, 2)
    } else {
      out[1] = 0x80 | 127
      out.writeBigUInt64BE(BigInt(len), 2)
    }
    const mask = randomBytes(4)
    mask.copy(out, head)
    for (let i = 0; i < len; i++)
      out[head + 4 + i] = (payload[i] as number) ^ (mask[i & 3] as number)
    this.socket.write(out)
  }
}

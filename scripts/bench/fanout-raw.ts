/**
 * The fan-out benchmark's raw-socket baselines (servers in the main process) and the capture of
 * the exact frames a SyncClient receives.
 *
 * Design: a baseline gets the same handshake round trip as the WebSocket clients (a request of
 * HANDSHAKE_BYTES, then an answer of HANDSHAKE_BYTES before any data) and is paced on the same
 * high-water mark as the SyncServer (write until `writableLength` passes it, then wait for
 * 'drain'). Two kinds:
 * - {@link rawServer} (lean case): filler buffers of the sizes the lean clients received;
 * - {@link rawFrameServer} (decoding case): the real frames a SyncClient got from the cache
 *   ({@link captureFrames}: ServerHello, every compressed snapshot chunk, Status), each behind a
 *   WebSocket-style header (2, 4 or 10 bytes), so the clients can split and decode them exactly
 *   as the SyncClient does. It answers nobody until all C requests are in, then answers all at
 *   once: the clock starts there, as the decoding case's clock starts when the cache (with C
 *   clients waiting) reaches in-sync.
 */
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import { WebSocket, type RawData } from 'ws'
import {
  DEFAULT_SYNC_CLIENT_CONFIG,
  SUPPORTED_PROTOCOL_VERSIONS,
  decodeFrame,
  encodeFrame,
} from '@cattail/syncproto'
import { epochNow } from './fanout-data.js'
import { HANDSHAKE_BYTES, HOST } from './fanout-load.js'

/** A listening baseline server. */
export interface RawServer {
  readonly port: number
  /** Bytes one client receives (answer and data). */
  readonly total: number
  /** When the answers went out (rawFrameServer only; NaN until then). */
  readonly startedAt: () => number
  readonly close: () => void
}

/** Writes `bufs` to `s` in order, pausing while more than `highWater` bytes are queued. */
function pump(s: Socket, bufs: readonly Buffer[], highWater: number): void {
  let k = 0
  const next = (): void => {
    while (k < bufs.length) {
      s.write(bufs[k++]!)
      if (s.writableLength > highWater) {
        s.once('drain', next)
        return
      }
    }
  }
  next()
}

async function listen(handler: (s: Socket) => void): Promise<{ port: number; close: () => void }> {
  const srv = createServer((s: Socket) => {
    s.on('error', () => undefined)
    handler(s)
  })
  srv.listen({ port: 0, host: HOST, backlog: 4096 })
  await once(srv, 'listening')
  return { port: (srv.address() as { port: number }).port, close: () => srv.close() }
}

/**
 * The lean baseline: per connection, waits for the client's request, answers with
 * HANDSHAKE_BYTES, then writes one filler buffer per snapshot frame (the sizes the WebSocket
 * clients received, 10 bytes of WebSocket header each).
 */
export async function rawServer(
  frameBytes: readonly number[],
  highWater: number
): Promise<RawServer> {
  const payload = Buffer.alloc(Math.max(1, ...frameBytes.map((n) => n + 10)), 0x5a)
  const bufs = [
    Buffer.alloc(HANDSHAKE_BYTES, 0x42),
    ...frameBytes.map((n) => payload.subarray(0, n + 10)),
  ]
  const total = bufs.reduce((a, b) => a + b.length, 0)
  const srv = await listen((s) => s.once('data', () => pump(s, bufs, highWater)))
  return { port: srv.port, total, startedAt: () => NaN, close: srv.close }
}

/** A WebSocket-style header (FIN + binary, unmasked) for a payload of `len` bytes. */
export function wsHeader(len: number): Buffer {
  if (len < 126) return Buffer.from([0x82, len])
  if (len < 65536) {
    const h = Buffer.alloc(4)
    h[0] = 0x82
    h[1] = 126
    h.writeUInt16BE(len, 2)
    return h
  }
  const h = Buffer.alloc(10)
  h[0] = 0x82
  h[1] = 127
  h.writeBigUInt64BE(BigInt(len), 2)
  return h
}

/**
 * The decoding baseline: replays `frames` (each behind a {@link wsHeader}) to each of `clients`
 * connections after the same handshake round trip; answers only once all of them asked.
 */
export async function rawFrameServer(
  frames: readonly Buffer[],
  clients: number,
  highWater: number
): Promise<RawServer> {
  const bufs: Buffer[] = [Buffer.alloc(HANDSHAKE_BYTES, 0x42)]
  for (const f of frames) bufs.push(wsHeader(f.length), f)
  const total = bufs.reduce((a, b) => a + b.length, 0)
  const waiting: Socket[] = []
  let startedAt = NaN
  const srv = await listen((s) =>
    s.once('data', () => {
      waiting.push(s)
      if (waiting.length < clients) return
      startedAt = epochNow()
      for (const w of waiting.splice(0)) pump(w, bufs, highWater)
    })
  )
  return { port: srv.port, total, startedAt: () => startedAt, close: srv.close }
}

/**
 * Connects like a SyncClient (same hello: features and snapshot compressions of
 * DEFAULT_SYNC_CLIENT_CONFIG) and returns every frame up to the first Status 'in-sync' after
 * the last snapshot chunk: the bytes a decoding client receives.
 */
export async function captureFrames(port: number): Promise<Buffer[]> {
  const ws = new WebSocket(`ws://${HOST}:${port}/`, { perMessageDeflate: false })
  ws.binaryType = 'nodebuffer'
  const frames: Buffer[] = []
  await new Promise<void>((resolve, reject) => {
    let last = false
    ws.on('open', () =>
      ws.send(
        encodeFrame({
          type: 'client-hello',
          versions: SUPPORTED_PROTOCOL_VERSIONS,
          features: DEFAULT_SYNC_CLIENT_CONFIG.features,
          nodeName: 'bench-capture',
          syncerType: DEFAULT_SYNC_CLIENT_CONFIG.syncerType,
          clientVersion: 'bench',
          snapshotCompression: DEFAULT_SYNC_CLIENT_CONFIG.snapshotCompression,
        })
      )
    )
    ws.on('message', (data: RawData) => {
      const buf = data as Buffer
      const msg = decodeFrame(buf)
      if (msg.type === 'ping') return
      frames.push(buf)
      if (msg.type === 'snapshot-chunk' && msg.last) last = true
      if (msg.type === 'status' && msg.status === 'in-sync' && last) resolve()
    })
    ws.on('error', reject)
    ws.on('close', () => reject(new Error('capture connection closed early')))
  })
  ws.removeAllListeners('close')
  ws.close()
  return frames
}

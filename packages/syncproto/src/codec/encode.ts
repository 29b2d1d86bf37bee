/**
 * Encoders for every message: `encodeFrame(msg)` for any message, plus the encode-once paths for
 * KV-carrying frames (`encodeDeltas`, `encodeSnapshotChunks`) in their own files.
 *
 * Maps are written with a fixed key order and without absent optional fields, so the same
 * message always gives the same bytes (the golden test relies on it).
 */
import { assertNever } from '@cattail/common'
import { FRAME_TYPE } from '../messages/frame-types.js'
import type { Message, SnapshotCompression } from '../messages/types.js'
import { encodeDeltas, type DeltasCompression } from './deltas.js'
import { encodeKv } from './kv.js'
import { packTransient } from './msgpack.js'
import { encodeSnapshotChunk } from './snapshot.js'

/** Options for {@link encodeFrame}. */
export interface EncodeFrameOptions {
  /** Compression for a 'snapshot-chunk' message. @default 'none' */
  readonly snapshotCompression?: SnapshotCompression
  /** Compression for a 'deltas' message ('deflate' needs feature `deltas-deflate`). @default 'none' */
  readonly deltasCompression?: DeltasCompression
}

/**
 * Encodes one message as a frame. For KV-carrying messages this encodes every KV afresh: fine
 * for tests and tools, but servers should keep blobs from `encodeKv` and use `encodeDeltas` /
 * `encodeSnapshotChunks`.
 */
export function encodeFrame(msg: Message, opts: EncodeFrameOptions = {}): Buffer {
  switch (msg.type) {
    case 'client-hello':
      return mapFrame(msg.type, {
        versions: msg.versions,
        features: msg.features,
        nodeName: msg.nodeName,
        syncerType: msg.syncerType,
        clientVersion: msg.clientVersion,
        snapshotCompression: msg.snapshotCompression,
        ...(msg.resume !== undefined && {
          resume: { epoch: msg.resume.epoch, seq: msg.resume.seq },
        }),
      })
    case 'server-hello':
      return mapFrame(msg.type, {
        version: msg.version,
        features: msg.features,
        epoch: msg.epoch,
        encoding: msg.encoding,
        snapshotCompression: msg.snapshotCompression,
        mode: msg.mode,
        syncerType: msg.syncerType,
        serverConnId: msg.serverConnId,
        serverVersion: msg.serverVersion,
      })
    case 'snapshot-chunk':
      return encodeSnapshotChunk(
        { seq: msg.seq, index: msg.index, last: msg.last },
        msg.updates.map((u) => encodeKv(u)),
        opts.snapshotCompression ?? 'none'
      )
    case 'deltas':
      return encodeDeltas(
        { firstSeq: msg.firstSeq, seq: msg.seq },
        msg.updates.map((u) => encodeKv(u)),
        opts.deltasCompression ?? 'none'
      )
    case 'status': {
      const remotes: Record<string, { status: string; error?: string }> = {}
      for (const [name, r] of Object.entries(msg.remotes)) {
        remotes[name] =
          r.error !== undefined ? { status: r.status, error: r.error } : { status: r.status }
      }
      return mapFrame(msg.type, { status: msg.status, remotes })
    }
    case 'ping':
      return mapFrame(msg.type, { timestampMs: msg.timestampMs })
    case 'pong':
      return mapFrame(msg.type, {
        pingTimestampMs: msg.pingTimestampMs,
        pongTimestampMs: msg.pongTimestampMs,
      })
    case 'go-away':
      return mapFrame(msg.type, {
        reason: msg.reason,
        ...(msg.message !== undefined && { message: msg.message }),
        ...(msg.reconnectAfterMs !== undefined && { reconnectAfterMs: msg.reconnectAfterMs }),
      })
    default:
      return assertNever(msg, 'message')
  }
}

function mapFrame(type: Message['type'], body: Record<string, unknown>): Buffer {
  const payload = packTransient(body)
  const out = Buffer.allocUnsafe(1 + payload.length)
  out[0] = FRAME_TYPE[type]
  payload.copy(out, 1)
  return out
}

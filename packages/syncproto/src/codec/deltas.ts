/**
 * Deltas frames: `[0x04][msgpack {firstSeq, seq, count}][blob]…[blob]`. The blobs are the
 * cache's stored bytes, concatenated without re-encoding.
 *
 * Compressed variant (feature `deltas-deflate` only):
 * `[0x04][msgpack {firstSeq, seq, count, compression: 'deflate', rawBytes}][raw-deflate(blobs)]`.
 * The server compresses a frame once and sends the same Buffer to every client that negotiated
 * the feature; WorkloadEndpoint-like KVs shrink 3–6× (repeated map keys and label values), which
 * is most of the fan-out's bytes. Level 1, as for snapshot chunks: the cost is on the server's
 * event loop, and level 1 gets most of the redundancy. `rawBytes` lets a client refuse a frame
 * over its limit before inflating it.
 */
import { constants, deflateRawSync } from 'node:zlib'
import { FRAME_TYPE } from '../messages/frame-types.js'
import { packTransient } from './msgpack.js'

/** How the KV run of a Deltas frame is compressed (`deflate` needs feature `deltas-deflate`). */
export type DeltasCompression = 'deflate' | 'none'

const ZLIB_OPTIONS = { level: 1, strategy: constants.Z_DEFAULT_STRATEGY }

/** The header of a Deltas frame (the count comes from the blobs). */
export interface DeltasHeader {
  /** Lowest seq the frame covers: the client's last seq + 1. */
  readonly firstSeq: number
  /** Seq the client holds after applying the frame; ≥ firstSeq. */
  readonly seq: number
}

/**
 * Builds a Deltas frame from pre-encoded KV blobs (from `encodeKv`). Copies each blob once into
 * the frame; never re-encodes. With `compression` 'deflate' the blobs are raw-deflated (only for
 * a client that negotiated `deltas-deflate`). Throws RangeError on an inverted seq range (a
 * server bug).
 */
export function encodeDeltas(
  header: DeltasHeader,
  blobs: readonly Uint8Array[],
  compression: DeltasCompression = 'none'
): Buffer {
  if (header.seq < header.firstSeq) {
    throw new RangeError(`deltas seq ${header.seq} < firstSeq ${header.firstSeq}`)
  }
  if (compression === 'deflate') return encodeDeflatedDeltas(header, blobs)
  const head = packTransient({ firstSeq: header.firstSeq, seq: header.seq, count: blobs.length })
  let size = 1 + head.length
  for (const b of blobs) size += b.length
  const out = Buffer.allocUnsafe(size)
  out[0] = FRAME_TYPE.deltas
  let pos = 1 + head.copy(out, 1)
  for (const b of blobs) {
    out.set(b, pos)
    pos += b.length
  }
  return out
}

function encodeDeflatedDeltas(header: DeltasHeader, blobs: readonly Uint8Array[]): Buffer {
  const raw = Buffer.concat(blobs)
  const data = deflateRawSync(raw, ZLIB_OPTIONS)
  const head = packTransient({
    firstSeq: header.firstSeq,
    seq: header.seq,
    count: blobs.length,
    compression: 'deflate',
    rawBytes: raw.length,
  })
  const out = Buffer.allocUnsafe(1 + head.length + data.length)
  out[0] = FRAME_TYPE.deltas
  head.copy(out, 1)
  data.copy(out, 1 + head.length)
  return out
}

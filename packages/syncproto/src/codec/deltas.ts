/**
 * Deltas frames: `[0x04][msgpack {firstSeq, seq, count}][blob]…[blob]`. The blobs are the
 * cache's stored bytes, concatenated without re-encoding.
 */
import { FRAME_TYPE } from '../messages/frame-types.js'
import { packTransient } from './msgpack.js'

/** The header of a Deltas frame (the count comes from the blobs). */
export interface DeltasHeader {
  /** Lowest seq the frame covers: the client's last seq + 1. */
  readonly firstSeq: number
  /** Seq the client holds after applying the frame; ≥ firstSeq. */
  readonly seq: number
}

/**
 * Builds a Deltas frame from pre-encoded KV blobs (from `encodeKv`). Copies each blob once into
 * the frame; never re-encodes. Throws RangeError on an inverted seq range (a server bug).
 */
export function encodeDeltas(header: DeltasHeader, blobs: readonly Uint8Array[]): Buffer {
  if (header.seq < header.firstSeq) {
    throw new RangeError(`deltas seq ${header.seq} < firstSeq ${header.firstSeq}`)
  }
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

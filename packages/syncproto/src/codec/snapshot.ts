/**
 * Snapshot chunks: `[0x03][msgpack {seq, index, last, count, compression, rawBytes}][data]`,
 * where data is the concatenation of `count` KV blobs, raw-deflated (level 1) when compression is
 * 'deflate'. `rawBytes` is the uncompressed length, so a client can refuse a chunk over its limit
 * before inflating it.
 *
 * Implementation: the server splits its blobs into chunks by bytes and items
 * ({@link planSnapshotChunks}), compresses each chunk once and sends the same Buffers to every
 * client. Level 1 because the cost is paid on the cache's event loop (or the zlib threadpool with
 * the async variants) for every new snapshot, and level 1 already gets most of the redundancy of
 * repeated map keys. A blob larger than `maxChunkBytes` travels alone in its own chunk.
 */
import { promisify } from 'node:util'
import { constants, deflateRaw, deflateRawSync } from 'node:zlib'
import { FRAME_TYPE } from '../messages/frame-types.js'
import { DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MAX_CHUNK_ITEMS } from '../messages/protocol.js'
import type { SnapshotCompression } from '../messages/types.js'
import { packTransient } from './msgpack.js'

const deflateRawAsync = promisify(deflateRaw)
const ZLIB_OPTIONS = { level: 1, strategy: constants.Z_DEFAULT_STRATEGY }

/** How to cut and compress a snapshot. */
export interface SnapshotChunkOptions {
  /** Seq of the state the snapshot shows. */
  readonly seq: number
  /** Uncompressed bytes per chunk (soft: one oversize blob makes its own chunk). @default 1 MiB */
  readonly maxChunkBytes: number
  /** KVs per chunk. @default 1000 */
  readonly maxChunkItems: number
  /** @default 'deflate' */
  readonly compression: SnapshotCompression
}

/** Defaults for {@link SnapshotChunkOptions} (without `seq`). */
export const DEFAULT_SNAPSHOT_CHUNK_OPTIONS: Omit<SnapshotChunkOptions, 'seq'> = {
  maxChunkBytes: DEFAULT_MAX_CHUNK_BYTES,
  maxChunkItems: DEFAULT_MAX_CHUNK_ITEMS,
  compression: 'deflate',
}

/** The position of one chunk within a snapshot. */
export interface ChunkPosition {
  readonly seq: number
  readonly index: number
  readonly last: boolean
}

/**
 * Splits blobs into chunk ranges `[start, end)`. Always returns at least one (possibly empty)
 * range, so an empty snapshot is one empty last chunk.
 */
export function planSnapshotChunks(
  blobs: readonly Uint8Array[],
  limits: Pick<SnapshotChunkOptions, 'maxChunkBytes' | 'maxChunkItems'>
): Array<readonly [number, number]> {
  const maxItems = Math.max(1, limits.maxChunkItems)
  const ranges: Array<readonly [number, number]> = []
  let start = 0
  let bytes = 0
  for (let i = 0; i < blobs.length; i++) {
    const len = (blobs[i] as Uint8Array).length
    const count = i - start
    if (count > 0 && (count >= maxItems || bytes + len > limits.maxChunkBytes)) {
      ranges.push([start, i])
      start = i
      bytes = 0
    }
    bytes += len
  }
  ranges.push([start, blobs.length])
  return ranges
}

/** Encodes one chunk synchronously. */
export function encodeSnapshotChunk(
  pos: ChunkPosition,
  blobs: readonly Uint8Array[],
  compression: SnapshotCompression
): Buffer {
  const raw = Buffer.concat(blobs)
  const data = compression === 'deflate' && raw.length > 0 ? deflateRawSync(raw, ZLIB_OPTIONS) : raw
  const out = assemble(pos, blobs.length, raw.length, compression, data)
  releaseNow(data)
  releaseNow(raw)
  return out
}

/** Encodes one chunk, compressing on the zlib threadpool. */
export async function encodeSnapshotChunkAsync(
  pos: ChunkPosition,
  blobs: readonly Uint8Array[],
  compression: SnapshotCompression
): Promise<Buffer> {
  const raw = Buffer.concat(blobs)
  const data =
    compression === 'deflate' && raw.length > 0 ? await deflateRawAsync(raw, ZLIB_OPTIONS) : raw
  const out = assemble(pos, blobs.length, raw.length, compression, data)
  releaseNow(data)
  releaseNow(raw)
  return out
}

/**
 * Frees the memory of a scratch Buffer at once instead of at the next GC, when the Buffer is the
 * only view of its ArrayBuffer (never a pooled slice). The chunk's raw concatenation (up to 1 MiB)
 * and the deflate output are garbage as soon as the chunk is assembled; left to the GC, a whole
 * snapshot's worth of them (external memory, which triggers a GC late) piles up in malloc and
 * stays in the process's RSS as fragmentation after it is freed.
 */
export function releaseNow(buf: Uint8Array): void {
  const ab = buf.buffer as ArrayBuffer & { transfer?: (n: number) => ArrayBuffer }
  if (buf.byteOffset !== 0 || buf.byteLength !== ab.byteLength || buf.byteLength === 0) return
  if (typeof ab.transfer === 'function' && !(ab instanceof SharedArrayBuffer)) ab.transfer(0)
}

/**
 * Encodes a whole snapshot into frames, compressing each chunk once (synchronously). Send the
 * returned Buffers verbatim to every client that gets this snapshot.
 */
export function encodeSnapshotChunks(
  blobs: readonly Uint8Array[],
  opts: SnapshotChunkOptions
): Buffer[] {
  const ranges = planSnapshotChunks(blobs, opts)
  return ranges.map(([s, e], index) =>
    encodeSnapshotChunk(
      { seq: opts.seq, index, last: index === ranges.length - 1 },
      blobs.slice(s, e),
      opts.compression
    )
  )
}

/** Like {@link encodeSnapshotChunks}, compressing on the zlib threadpool (chunks in parallel). */
export async function encodeSnapshotChunksAsync(
  blobs: readonly Uint8Array[],
  opts: SnapshotChunkOptions
): Promise<Buffer[]> {
  const ranges = planSnapshotChunks(blobs, opts)
  return await Promise.all(
    ranges.map(([s, e], index) =>
      encodeSnapshotChunkAsync(
        { seq: opts.seq, index, last: index === ranges.length - 1 },
        blobs.slice(s, e),
        opts.compression
      )
    )
  )
}

function assemble(
  pos: ChunkPosition,
  count: number,
  rawBytes: number,
  compression: SnapshotCompression,
  data: Buffer
): Buffer {
  const head = packTransient({
    seq: pos.seq,
    index: pos.index,
    last: pos.last,
    count,
    compression,
    rawBytes,
  })
  const out = Buffer.allocUnsafe(1 + head.length + data.length)
  out[0] = FRAME_TYPE['snapshot-chunk']
  head.copy(out, 1)
  data.copy(out, 1 + head.length)
  return out
}

/**
 * The one msgpackr configuration both ends use, and error wrapping.
 *
 * Implementation: `useRecords: false` (plain msgpack maps) so that every KV blob and header is
 * decodable on its own — a blob is encoded once and reused verbatim in many frames, so it cannot
 * depend on record definitions or string bundles from elsewhere. deps.md §5 (100k separate
 * messages): plain maps 160 ms encode / 276 ms decode; self-contained records (a record redefined
 * in every blob) 194 / 347 ms, i.e. slower; shared `structures` 126 / 170 ms but they need state
 * shared by both ends, which defeats encode-once fan-out and independent blobs. Snapshot size is
 * won back by deflate (≈9× on endpoint-shaped data). Integers above 2^32 are packed as
 * float64 by msgpackr and decode exactly (all our numbers are safe integers); `undefined`
 * properties use msgpackr's fixext encoding and come back as `undefined`.
 */
import { Packr, Unpackr } from 'msgpackr'
import { ProtocolError, type ProtocolErrorReason } from '../errors.js'

const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false })
const unpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'number',
  structuredClone: false,
})

/**
 * Packs one value into a Buffer that owns its memory. msgpackr returns a view into a shared 8 KiB+
 * slab; long-lived blobs copied out of it do not pin slabs after their neighbours are gone.
 */
export function packOwned(value: unknown): Buffer {
  const view = packr.pack(value)
  const out = Buffer.allocUnsafeSlow(view.length)
  view.copy(out)
  return out
}

/** Packs a short-lived value (a header about to be concatenated); the result may share a slab. */
export function packTransient(value: unknown): Buffer {
  return packr.pack(value)
}

/**
 * Decodes a run of msgpack values, calling `each(value, index)` for each; `each` may return
 * false to stop early, and the position after the last value read is returned.
 */
export function unpackEach(
  buf: Uint8Array,
  reason: ProtocolErrorReason,
  each: (value: unknown, index: number) => boolean
): number {
  let index = 0
  let end = 0
  try {
    unpackr.unpackMultiple(buf, (value: unknown, _start?: number, stop?: number) => {
      end = stop ?? buf.length
      return each(value, index++)
    })
  } catch (err) {
    if (err instanceof ProtocolError) throw err
    if (isFrameTooLarge(err)) throw err
    throw new ProtocolError(reason, `cannot decode msgpack: ${errText(err)}`, { cause: err })
  }
  return end
}

/** Decodes exactly one msgpack value filling `buf`. */
export function unpackOne(buf: Uint8Array, reason: ProtocolErrorReason): unknown {
  try {
    return unpackr.unpack(buf)
  } catch (err) {
    throw new ProtocolError(reason, `cannot decode msgpack: ${errText(err)}`, { cause: err })
  }
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err))

const isFrameTooLarge = (err: unknown): boolean =>
  err instanceof Error && (err as { code?: unknown }).code === 'ERR_FRAME_TOO_LARGE'

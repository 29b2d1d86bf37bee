/**
 * Storage of the cache's KV blobs in shared slabs instead of one Buffer per KV.
 *
 * # Overview
 * A Buffer of its own costs every KV far more than its bytes: a JSArrayBuffer and a typed-array
 * object on the V8 heap, a BackingStore and an extension record in malloc, and a malloc chunk
 * (measured ~800 B per 520-byte blob, plus ~330 B for a second view such as `valueBytes`).
 * Here each blob is copied once into the current **slab** (a 256 KiB Buffer) and the cache keeps
 * a {@link SlabKv}: the key, the slab, an offset and two lengths (~60 B on the heap). `blob` and
 * `valueBytes` are views made on demand; they stay valid for as long as anybody holds them (a
 * view keeps its slab alive), and the bytes at a given position never change.
 *
 * # Compaction
 * When a KV is replaced or deleted, its bytes become dead space in its slab. Each slab counts
 * the bytes of the KVs the cache's map still holds (`live`). Once KVs totalling a quarter of the
 * live bytes have been replaced or deleted since the last sweep, the cache calls
 * {@link KvSlabs.sweep} with its map's values: every KV that sits in a slab less than
 * {@link SPARSE_RATIO} live is copied into the current slab and **moved in place** (the same
 * `SlabKv` object, so the crumbs and snapshots holding it see the move), and the sparse slab is
 * freed once the last view or crumb-only KV on it is gone. So the slabs the map refers to hold
 * at most about live / SPARSE_RATIO + live / 4 bytes, whatever the churn; the sweep is O(map),
 * amortised over a quarter of the live bytes of churn (a load without churn never sweeps).
 *
 * Crumb-only KVs (old values and deletions still in the resume window) are not moved; they pin
 * their slab until their crumb leaves the window. A blob larger than 1/8 of a slab gets a slab
 * of its own, so an oversize value never pins a shared slab.
 */
import type { CachedKv } from './cached-kv.js'

/** Bytes per shared slab. */
export const SLAB_BYTES = 256 * 1024
/** A slab whose live share falls below this is emptied by the next sweep. */
export const SPARSE_RATIO = 0.6
/** Blobs above this size get a slab of their own. */
const OWN_SLAB_ABOVE = SLAB_BYTES / 8

/** One slab: a Buffer and the bytes in it that the cache's map still refers to. */
export interface Slab {
  readonly buf: Buffer
  live: number
}

/** A {@link CachedKv} whose bytes live in a shared slab (see the file comment). */
export class SlabKv implements CachedKv {
  readonly key: string
  readonly deleted: boolean
  /** @internal The slab holding the blob (moved by a sweep). */
  slab: Slab
  /** @internal Offset of the blob in the slab. */
  offset: number
  /** Length of the blob in bytes. */
  readonly length: number
  /** Offset of the value within the blob (= length for a deletion). */
  readonly valueOffset: number
  /** @internal True while the cache's map holds this KV (its bytes count as live). */
  live = false

  constructor(
    key: string,
    deleted: boolean,
    slab: Slab,
    offset: number,
    length: number,
    valueOffset: number
  ) {
    this.key = key
    this.deleted = deleted
    this.slab = slab
    this.offset = offset
    this.length = length
    this.valueOffset = valueOffset
  }

  /** The wire encoding (a view into the slab; valid for as long as it is held). */
  get blob(): Uint8Array {
    return this.slab.buf.subarray(this.offset, this.offset + this.length)
  }

  /** The encoded value without key and revision (undefined for a deletion). */
  get valueBytes(): Uint8Array | undefined {
    if (this.deleted) return undefined
    return this.slab.buf.subarray(this.offset + this.valueOffset, this.offset + this.length)
  }
}

/** The slab allocator of one cache. Not shared between caches. */
export class KvSlabs {
  #cur: Slab | undefined
  #pos = 0
  #liveBytes = 0
  /** Bytes released (replaced or deleted KVs) since the last sweep. */
  #dead = 0
  #moved = 0

  /** Bytes of the KVs the map holds. */
  get liveBytes(): number {
    return this.#liveBytes
  }

  /** Bytes moved by sweeps so far. */
  get movedBytes(): number {
    return this.#moved
  }

  /** True when enough bytes died since the last sweep (a quarter of the live bytes) that one is due. */
  get sweepDue(): boolean {
    return this.#dead >= Math.max(SLAB_BYTES, this.#liveBytes / 4)
  }

  /** Copies `kv`'s blob into a slab; the result is not live until {@link retain}. */
  intern(kv: CachedKv): SlabKv {
    if (kv instanceof SlabKv) return kv
    const blob = kv.blob
    const valueOffset =
      kv.valueBytes === undefined ? blob.length : blob.length - kv.valueBytes.length
    const { slab, offset } = this.#place(blob)
    return new SlabKv(kv.key, kv.deleted, slab, offset, blob.length, valueOffset)
  }

  /** `kv` entered the map: its bytes are live. */
  retain(kv: SlabKv): void {
    if (kv.live) return
    kv.live = true
    kv.slab.live += kv.length
    this.#liveBytes += kv.length
  }

  /** `kv` left the map (replaced or deleted): its bytes are dead space. */
  release(kv: SlabKv): void {
    if (!kv.live) return
    kv.live = false
    kv.slab.live -= kv.length
    this.#liveBytes -= kv.length
    this.#dead += kv.length
  }

  /**
   * Moves every live KV of a sparse slab (see the file comment) into the current slab, in
   * place. `kvs` are the map's values. Returns the bytes moved.
   */
  sweep(kvs: Iterable<CachedKv>): number {
    let moved = 0
    for (const kv of kvs) {
      if (!(kv instanceof SlabKv) || !kv.live) continue
      const s = kv.slab
      if (s === this.#cur || s.live >= s.buf.length * SPARSE_RATIO) continue
      const blob = kv.blob
      s.live -= kv.length
      const { slab, offset } = this.#place(blob)
      slab.live += kv.length
      kv.slab = slab
      kv.offset = offset
      moved += kv.length
    }
    this.#dead = 0
    this.#moved += moved
    return moved
  }

  #place(blob: Uint8Array): { slab: Slab; offset: number } {
    const n = blob.length
    if (n > OWN_SLAB_ABOVE) {
      const own: Slab = { buf: Buffer.allocUnsafeSlow(n), live: 0 }
      own.buf.set(blob)
      return { slab: own, offset: 0 }
    }
    let cur = this.#cur
    if (cur === undefined || this.#pos + n > cur.buf.length) {
      cur = { buf: Buffer.allocUnsafeSlow(SLAB_BYTES), live: 0 }
      this.#cur = cur
      this.#pos = 0
    }
    const offset = this.#pos
    cur.buf.set(blob, offset)
    this.#pos += n
    return { slab: cur, offset }
  }
}

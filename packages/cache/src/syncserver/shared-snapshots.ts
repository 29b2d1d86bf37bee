/**
 * One compressed snapshot shared by every client that joins at about the same time (Typha's
 * `snap_precalc.go`).
 *
 * # Overview
 * The first joiner after a change triggers a build from the cache's newest crumb: the crumb's
 * entries (already-encoded KV blobs) are cut into chunks and each chunk is compressed **once**,
 * on the zlib threadpool. Every joiner that arrives while that build is running, or within
 * `snapshotReuseMs` after it, or at any time while no newer crumb exists, gets the same Buffers
 * and then follows deltas from the snapshot's crumb. A slightly stale snapshot is therefore
 * correct: the deltas after its crumb are still linked from it.
 *
 * # Streaming while building
 * Chunks are compressed in parallel on the zlib threadpool, one promise per chunk; a joiner
 * sends each chunk as soon as it and its predecessors are ready, so the first bytes leave while
 * the rest is still being compressed (Typha streams its multi-reader buffer the same way).
 *
 * # Pre-building
 * `prebuild()` starts a build without a joiner. The server calls it when the cache reaches
 * in-sync (and at start if it already is): that is when a restarted cache's agents all
 * reconnect, so the build overlaps their connection set-up instead of delaying every one of them.
 * The pre-built snapshot is then served like any other (same crumb ⇒ reused, else fresh for
 * `snapshotReuseMs`). Typha builds on the first joiner only; the cost of pre-building is one
 * build per in-sync transition that nobody joins.
 */
import type { SnapshotCompression } from '@cattail/syncproto'
import { encodeSnapshotChunkAsync, releaseNow } from '@cattail/syncproto'
import type { Breadcrumb } from '../snapcache/breadcrumb.js'
import type { CachedKv } from '../snapcache/cached-kv.js'
import { SlabKv } from '../snapcache/kv-slabs.js'
import type { SnapshotCache } from '../snapcache/snapshot-cache.js'
import type { CacheMetrics } from '../metrics/cache-metrics.js'
import type { WsFrames } from './ws-frame.js'

/**
 * Chunks compressed at a time. Each in flight holds its raw copy (≤ 1 MiB) and a zlib context
 * (~300 KiB); compressing all of them at once made the build's peak (and the malloc arenas it
 * leaves resident) as large as the raw snapshot. Four (libuv's default threadpool size) keep the
 * threadpool busy while the event loop frames and sends finished chunks; with two, the cold
 * snapshot waited on the event loop between chunks (fanout bench, one run each on a loaded VM:
 * cold/raw 1.49 vs 0.82).
 */
const BUILD_CONCURRENCY = 4

/** A built (or building) snapshot. */
export interface SharedSnapshot {
  /** The crumb the snapshot equals. */
  readonly crumb: Breadcrumb
  readonly compression: SnapshotCompression
  /** The frames to send, in order, each resolving once compressed (same Buffers for every client). */
  readonly frames: readonly Promise<Buffer>[]
  /** When the build started, ms since the Unix epoch. */
  readonly startedAtMs: number
}

/** Chunking settings. */
export interface SharedSnapshotsConfig {
  readonly snapshotChunkKvs: number
  readonly snapshotChunkBytes: number
  readonly snapshotReuseMs: number
}

/** Builds and shares snapshots; counts builds and reuses. */
export class SharedSnapshots {
  readonly #current = new Map<SnapshotCompression, SharedSnapshot>()
  #built = 0
  #reused = 0

  constructor(
    private readonly cfg: SharedSnapshotsConfig,
    private readonly cache: SnapshotCache,
    private readonly metrics: CacheMetrics | undefined,
    /** Where the framed copy of each chunk is registered (the only copy kept). */
    private readonly wsFrames: WsFrames,
    private readonly nowMs: () => number = Date.now
  ) {}

  /** Snapshots built so far. */
  get built(): number {
    return this.#built
  }

  /** Joiners served from an existing snapshot so far. */
  get reused(): number {
    return this.#reused
  }

  /** The snapshot a joiner should get now: the current one if still fresh, else a new build. */
  acquire(compression: SnapshotCompression): SharedSnapshot {
    const cur = this.#fresh(compression)
    if (cur !== undefined) {
      this.#reused++
      this.metrics?.snapshotsReused.inc()
      return cur
    }
    return this.#build(compression)
  }

  /**
   * Starts building a snapshot of the newest crumb now, before any joiner asks, unless a fresh
   * one exists (counted as built; the joiners that take it count as reuses).
   */
  prebuild(compression: SnapshotCompression): void {
    if (this.#fresh(compression) === undefined) this.#build(compression)
  }

  #fresh(compression: SnapshotCompression): SharedSnapshot | undefined {
    const cur = this.#current.get(compression)
    if (cur === undefined) return undefined
    if (cur.crumb === this.cache.latest) return cur
    return this.nowMs() - cur.startedAtMs < this.cfg.snapshotReuseMs ? cur : undefined
  }

  #build(compression: SnapshotCompression): SharedSnapshot {
    const now = this.nowMs()
    const snap = this.cache.snapshot()
    const entries = snap.entries
    const started = performance.now()
    const ranges = planChunks(entries, this.cfg.snapshotChunkBytes, this.cfg.snapshotChunkKvs)
    const last = ranges.length - 1
    const slots = ranges.map(() => deferred<Buffer>())
    let rawBytes = 0
    let compressedBytes = 0
    let next = 0
    let failed = false
    // At most BUILD_CONCURRENCY chunks are being compressed at a time (each holds its raw copy
    // and a zlib context); the next chunk starts when one finishes. Joiners send
    // chunk i as soon as chunks 0..i are ready, so sending still overlaps the build.
    const startOne = (): void => {
      if (failed || next > last) return
      const index = next++
      const [s, e] = ranges[index] as readonly [number, number]
      // Views of this chunk's blobs only, made now and dropped once the chunk is concatenated.
      const blobs: Uint8Array[] = []
      for (let i = s; i < e; i++) blobs.push((entries[i] as CachedKv).blob)
      for (const b of blobs) rawBytes += b.byteLength
      encodeSnapshotChunkAsync(
        { seq: snap.crumb.seq, index, last: index === last },
        blobs,
        compression
      )
        .then((chunk) => {
          // Frame it now and keep only the framed copy: the payload is a view into it.
          const payload = this.wsFrames.adopt(chunk)
          releaseNow(chunk) // the framed copy is the only one kept: free this one now, not at GC
          compressedBytes += payload.byteLength
          ;(slots[index] as Deferred<Buffer>).resolve(payload)
          if (index === last) this.#observe(started, rawBytes, compressedBytes)
          startOne()
        })
        .catch((err: unknown) => {
          failed = true
          // A failed build must not be handed to later joiners (the joiners log the error).
          if (this.#current.get(compression) === built) this.#current.delete(compression)
          for (let i = index; i <= last; i++) (slots[i] as Deferred<Buffer>).reject(err)
        })
    }
    const frames = slots.map((d) => d.promise)
    // Mark every chunk's rejection as handled; joiners see it when they await.
    for (const f of frames) f.catch(() => undefined)
    const built: SharedSnapshot = { crumb: snap.crumb, compression, frames, startedAtMs: now }
    this.#current.set(compression, built)
    this.#built++
    this.metrics?.snapshotsBuilt.inc()
    for (let i = 0; i < BUILD_CONCURRENCY; i++) startOne()
    return built
  }

  #observe(startedMs: number, raw: number, compressed: number): void {
    const m = this.metrics
    if (m === undefined) return
    m.snapshotBuildSeconds.observe((performance.now() - startedMs) / 1000)
    m.snapshotRawBytes.set(raw)
    m.snapshotCompressedBytes.set(compressed)
  }

  /** Forgets every snapshot (stop). */
  clear(): void {
    this.#current.clear()
  }
}

interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(v: T): void
  reject(err: unknown): void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (err: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/**
 * Splits entries into chunk ranges `[start, end)` by bytes and count, like syncproto's
 * `planSnapshotChunks` but reading each KV's size without making a view of every blob up front.
 * Always at least one (possibly empty) range.
 */
function planChunks(
  entries: readonly CachedKv[],
  maxBytes: number,
  maxItems: number
): Array<readonly [number, number]> {
  const items = Math.max(1, maxItems)
  const ranges: Array<readonly [number, number]> = []
  let start = 0
  let bytes = 0
  for (let i = 0; i < entries.length; i++) {
    const len = kvLength(entries[i] as CachedKv)
    const count = i - start
    if (count > 0 && (count >= items || bytes + len > maxBytes)) {
      ranges.push([start, i])
      start = i
      bytes = 0
    }
    bytes += len
  }
  ranges.push([start, entries.length])
  return ranges
}

const kvLength = (kv: CachedKv): number => (kv instanceof SlabKv ? kv.length : kv.blob.byteLength)

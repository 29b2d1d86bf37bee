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
import { encodeSnapshotChunkAsync, planSnapshotChunks } from '@cattail/syncproto'
import type { Breadcrumb } from '../snapcache/breadcrumb.js'
import type { SnapshotCache } from '../snapcache/snapshot-cache.js'
import type { CacheMetrics } from '../metrics/cache-metrics.js'

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
    const blobs = snap.entries.map((e) => e.blob)
    const started = performance.now()
    const ranges = planSnapshotChunks(blobs, {
      maxChunkBytes: this.cfg.snapshotChunkBytes,
      maxChunkItems: this.cfg.snapshotChunkKvs,
    })
    // Every chunk is compressed on the threadpool in parallel; a joiner sends chunk i as soon as
    // chunks 0..i are ready, so sending overlaps the build (Typha streams its buffer likewise).
    const frames = ranges.map(([s, e], index) =>
      encodeSnapshotChunkAsync(
        { seq: snap.crumb.seq, index, last: index === ranges.length - 1 },
        blobs.slice(s, e),
        compression
      )
    )
    const built: SharedSnapshot = { crumb: snap.crumb, compression, frames, startedAtMs: now }
    // Promise.all also marks every chunk's rejection as handled; joiners see it when they await.
    Promise.all(frames).then(
      (out) => {
        const m = this.metrics
        if (m === undefined) return
        m.snapshotBuildSeconds.observe((performance.now() - started) / 1000)
        m.snapshotRawBytes.set(blobs.reduce((n, b) => n + b.byteLength, 0))
        m.snapshotCompressedBytes.set(out.reduce((n, b) => n + b.byteLength, 0))
      },
      () => {
        // A failed build must not be handed to later joiners (the joiners log the error).
        if (this.#current.get(compression) === built) this.#current.delete(compression)
      }
    )
    this.#current.set(compression, built)
    this.#built++
    this.metrics?.snapshotsBuilt.inc()
    return built
  }

  /** Forgets every snapshot (stop). */
  clear(): void {
    this.#current.clear()
  }
}

/**
 * Frames that many clients receive identically, built once and memoised on the crumb they end at
 * (weakly, so they go away with the crumb): a crumb's own Deltas frame (up-to-date clients), its
 * Status frame, and merged Deltas frames covering `[firstSeq, end.seq]` (lagging clients at the
 * same position, which is common: clients that fell behind together catch up together).
 */
import { encodeDeltas, encodeFrame, type RemoteStatusEntry } from '@cattail/syncproto'
import type { Breadcrumb } from '../snapcache/breadcrumb.js'

/** Per-crumb frame memo. */
export class SharedFrames {
  readonly #deltas = new WeakMap<Breadcrumb, Buffer>()
  readonly #status = new WeakMap<Breadcrumb, Buffer>()
  readonly #merged = new WeakMap<Breadcrumb, Map<number, Buffer>>()
  #deltaBuilds = 0
  #mergedBuilds = 0
  #mergedReuses = 0

  /** Deltas frames built for single crumbs (each shared by every up-to-date client). */
  get deltaBuilds(): number {
    return this.#deltaBuilds
  }

  /** Merged Deltas frames built, and served from the memo. */
  get mergedStats(): { readonly built: number; readonly reused: number } {
    return { built: this.#mergedBuilds, reused: this.#mergedReuses }
  }

  /**
   * The Deltas frame covering every crumb with a seq in `[firstSeq, end.seq]`, whose deltas
   * `collect()` returns in order (called only when the frame is not memoised yet).
   */
  mergedOf(firstSeq: number, end: Breadcrumb, collect: () => readonly Uint8Array[]): Buffer {
    let byFirst = this.#merged.get(end)
    let f = byFirst?.get(firstSeq)
    if (f !== undefined) {
      this.#mergedReuses++
      return f
    }
    f = encodeDeltas({ firstSeq, seq: end.seq }, collect())
    if (byFirst === undefined) {
      byFirst = new Map()
      this.#merged.set(end, byFirst)
    }
    byFirst.set(firstSeq, f)
    this.#mergedBuilds++
    return f
  }

  /** The Deltas frame of exactly `crumb` (`firstSeq = seq = crumb.seq`). */
  deltasOf(crumb: Breadcrumb): Buffer {
    let f = this.#deltas.get(crumb)
    if (f === undefined) {
      f = encodeDeltas(
        { firstSeq: crumb.seq, seq: crumb.seq },
        crumb.deltas.map((d) => d.blob)
      )
      this.#deltas.set(crumb, f)
      this.#deltaBuilds++
    }
    return f
  }

  /** The Status frame describing the state after `crumb`. */
  statusOf(crumb: Breadcrumb): Buffer {
    let f = this.#status.get(crumb)
    if (f === undefined) {
      const remotes: Record<string, RemoteStatusEntry> = {}
      for (const [name, r] of crumb.remotes) remotes[name] = r
      f = encodeFrame({ type: 'status', status: crumb.status, remotes })
      this.#status.set(crumb, f)
    }
    return f
  }
}

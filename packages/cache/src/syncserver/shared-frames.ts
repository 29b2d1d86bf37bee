/**
 * Frames that many clients receive identically, built once and memoised on the crumb they end at:
 * a crumb's own Deltas frame (up-to-date clients), its Status frame, and merged Deltas frames
 * covering `[firstSeq, end.seq]` (lagging clients at the same position, which is common: clients
 * that fell behind together catch up together).
 *
 * Deltas memos are kept for {@link FRAME_MEMO_MS} after their crumb was published, not for as
 * long as the crumb lives: crumbs stay retained for resume (up to 64 MiB of deltas for 10 min),
 * and their frames (plain and deflated) would more than double that, although a crumb's own
 * frame is only sent while it is new and clients that lag together build their merged frames at
 * about the same time. A frame asked for after that is built again. Status frames are small and
 * stay memoised weakly, for the crumb's life.
 *
 * Deltas frames come in two encodings, memoised separately: plain, and raw-deflated for clients
 * that negotiated feature `deltas-deflate` (compressed **once** per frame, whatever the number
 * of clients). Frames whose KVs total less than {@link DELTAS_DEFLATE_MIN_BYTES} stay plain for
 * everyone: deflate would not pay for its header there.
 */
import {
  encodeDeltas,
  encodeFrame,
  releaseNow,
  type DeltasCompression,
  type RemoteStatusEntry,
} from '@cattail/syncproto'
import type { Breadcrumb } from '../snapcache/breadcrumb.js'
import { WsFrames } from './ws-frame.js'

/** How long after its crumb's publication a Deltas frame stays memoised, ms. */
export const FRAME_MEMO_MS = 10_000

/**
 * A memo on crumbs that forgets entries whose crumb is older than `keepMs` than the newest set.
 * Keyed by seq, not by the crumb: a crumb links to its successors, so holding one would keep every
 * later crumb (and its deltas) alive while no client asks for frames.
 */
class RecentMemo<V> {
  readonly #m = new Map<number, { readonly ts: number; readonly v: V }>()
  constructor(private readonly keepMs: number) {}

  get(c: Breadcrumb): V | undefined {
    return this.#m.get(c.seq)?.v
  }

  set(c: Breadcrumb, v: V): void {
    this.#m.set(c.seq, { ts: c.timestampMs, v })
    const oldest = c.timestampMs - this.keepMs
    for (const [seq, e] of this.#m) {
      if (e.ts >= oldest || seq === c.seq) break // insertion order ≈ publication order
      this.#m.delete(seq)
    }
  }
}

/** KV bytes below which a Deltas frame is sent plain even to `deltas-deflate` clients. */
export const DELTAS_DEFLATE_MIN_BYTES = 256

/** Per-crumb frame memo. */
export class SharedFrames {
  readonly #deltas = new RecentMemo<Buffer>(FRAME_MEMO_MS)
  readonly #deflated = new RecentMemo<Buffer>(FRAME_MEMO_MS)
  readonly #status = new WeakMap<Breadcrumb, Buffer>()
  readonly #merged = new RecentMemo<Map<string, Buffer>>(FRAME_MEMO_MS)
  #deltaBuilds = 0
  #mergedBuilds = 0
  #mergedReuses = 0

  /**
   * @param wsFrames where each frame's WebSocket-framed form is registered when it is built: the
   *   memo keeps that one copy (the payload is a view into it), not a payload plus a framed copy.
   */
  constructor(private readonly wsFrames: WsFrames = new WsFrames()) {}

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
   * `collect()` returns in order (called only when the frame is not memoised yet); `bytes` is
   * their total size, `compression` what the client accepts.
   */
  mergedOf(
    firstSeq: number,
    end: Breadcrumb,
    bytes: number,
    compression: DeltasCompression,
    collect: () => readonly Uint8Array[]
  ): Buffer {
    const how = effective(compression, bytes)
    const memoKey = `${how}:${firstSeq}`
    let byFirst = this.#merged.get(end)
    let f = byFirst?.get(memoKey)
    if (f !== undefined) {
      this.#mergedReuses++
      return f
    }
    f = this.#adopt(encodeDeltas({ firstSeq, seq: end.seq }, collect(), how))
    if (byFirst === undefined) {
      byFirst = new Map()
      this.#merged.set(end, byFirst)
    }
    byFirst.set(memoKey, f)
    this.#mergedBuilds++
    return f
  }

  /** The Deltas frame of exactly `crumb` (`firstSeq = seq = crumb.seq`), as `compression` allows. */
  deltasOf(crumb: Breadcrumb, compression: DeltasCompression = 'none'): Buffer {
    const how = effective(compression, crumb.deltaBytes)
    const memo = how === 'deflate' ? this.#deflated : this.#deltas
    let f = memo.get(crumb)
    if (f === undefined) {
      f = this.#adopt(
        encodeDeltas(
          { firstSeq: crumb.seq, seq: crumb.seq },
          crumb.deltas.map((d) => d.blob),
          how
        )
      )
      memo.set(crumb, f)
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
      f = this.#adopt(encodeFrame({ type: 'status', status: crumb.status, remotes }))
      this.#status.set(crumb, f)
    }
    return f
  }

  /** Keeps only the framed copy of `payload` (freed at once, not at the next GC). */
  #adopt(payload: Buffer): Buffer {
    const view = this.wsFrames.adopt(payload)
    releaseNow(payload)
    return view
  }
}

function effective(accepted: DeltasCompression, bytes: number): DeltasCompression {
  return accepted === 'deflate' && bytes >= DELTAS_DEFLATE_MIN_BYTES ? 'deflate' : 'none'
}

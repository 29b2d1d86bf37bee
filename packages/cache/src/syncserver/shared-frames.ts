/**
 * Frames that every up-to-date client receives identically, built once per crumb and memoised
 * on it (weakly, so they go away with the crumb): the crumb's own Deltas frame and its Status
 * frame.
 */
import { encodeDeltas, encodeFrame, type RemoteStatusEntry } from '@cattail/syncproto'
import type { Breadcrumb } from '../snapcache/breadcrumb.js'

/** Per-crumb frame memo. */
export class SharedFrames {
  readonly #deltas = new WeakMap<Breadcrumb, Buffer>()
  readonly #status = new WeakMap<Breadcrumb, Buffer>()
  #deltaBuilds = 0

  /** Deltas frames built for single crumbs (each shared by every up-to-date client). */
  get deltaBuilds(): number {
    return this.#deltaBuilds
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

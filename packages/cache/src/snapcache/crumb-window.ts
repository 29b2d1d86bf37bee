/**
 * The resume window of the snapshot cache: the breadcrumbs a reconnecting client may resume from,
 * oldest first, with contiguous sequence numbers. The oldest crumbs leave when the retained delta
 * bytes pass `retainBytes` or the crumb is older than `retainMs` (cache clock, measured against the
 * newest crumb); the newest crumb always stays. The array is compacted lazily (a head index moves;
 * the array is sliced once the dead prefix is large), so trimming is O(1) amortised.
 */
import type { Breadcrumb } from './breadcrumb.js'

/** How long and how much the window keeps. */
export interface CrumbWindowLimits {
  readonly retainBytes: number
  readonly retainMs: number
}

/** The retained breadcrumbs. See the file comment. */
export class CrumbWindow {
  #retained: Breadcrumb[] = []
  #head = 0
  #bytes = 0

  /** Starts with `first` (the cache's first crumb). */
  constructor(
    private readonly limits: CrumbWindowLimits,
    first: Breadcrumb
  ) {
    this.push(first)
  }

  /** Adds the newest crumb (its seq follows the previous one's). */
  push(c: Breadcrumb): void {
    this.#retained.push(c)
    this.#bytes += c.deltaBytes
  }

  /** Drops the oldest crumbs past the limits, measured against `newest`. */
  trim(newest: Breadcrumb): void {
    while (this.#retained.length - this.#head > 1) {
      const oldest = this.#retained[this.#head] as Breadcrumb
      const tooBig = this.#bytes > this.limits.retainBytes
      const tooOld = newest.timestampMs - oldest.timestampMs > this.limits.retainMs
      if (!tooBig && !tooOld) break
      this.#bytes -= oldest.deltaBytes
      this.#head++
    }
    if (this.#head > 1024 && this.#head * 2 > this.#retained.length) {
      this.#retained = this.#retained.slice(this.#head)
      this.#head = 0
    }
  }

  /** Sequence number of the oldest crumb retained. */
  get oldestSeq(): number {
    return (this.#retained[this.#head] as Breadcrumb).seq
  }

  /** Number of retained crumbs. */
  get crumbs(): number {
    return this.#retained.length - this.#head
  }

  /** Delta bytes of the retained crumbs. */
  get bytes(): number {
    return this.#bytes
  }

  /**
   * The retained crumb with sequence `seq`, or undefined when it left the window (by bytes or
   * age, measured against `newest`, which is always kept) or never existed.
   */
  at(seq: number, newest: Breadcrumb): Breadcrumb | undefined {
    if (!Number.isSafeInteger(seq)) return undefined
    const idx = this.#head + (seq - this.oldestSeq)
    if (idx < this.#head || idx >= this.#retained.length) return undefined
    const c = this.#retained[idx] as Breadcrumb
    if (newest.timestampMs - c.timestampMs > this.limits.retainMs && c !== newest) return undefined
    return c
  }
}

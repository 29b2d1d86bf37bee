/**
 * Exponential backoff with full jitter, for reconnect loops.
 * Pure apart from the injectable random source.
 */

/** Backoff settings, all in milliseconds. */
export interface BackoffConfig {
  /** First delay. @default 200 */
  readonly initialMs: number
  /** Upper bound of any delay. @default 10000 */
  readonly maxMs: number
  /** Growth factor per attempt. @default 2 */
  readonly factor: number
  /** Fraction of the delay that is randomised (0 = none, 1 = full jitter). @default 0.2 */
  readonly jitter: number
}

/** Defaults for {@link Backoff}. */
export const DEFAULT_BACKOFF_CONFIG: BackoffConfig = {
  initialMs: 200,
  maxMs: 10_000,
  factor: 2,
  jitter: 0.2,
}

/** Stateful backoff: `next()` returns the delay before the next attempt; `reset()` after success. */
export class Backoff {
  #attempt = 0
  constructor(
    private readonly cfg: BackoffConfig = DEFAULT_BACKOFF_CONFIG,
    private readonly random: () => number = Math.random
  ) {}

  /** Delay in ms before the next attempt. */
  next(): number {
    const base = Math.min(this.cfg.maxMs, this.cfg.initialMs * this.cfg.factor ** this.#attempt)
    this.#attempt++
    const spread = base * this.cfg.jitter
    return Math.max(0, Math.round(base - spread + this.random() * 2 * spread))
  }

  /** Number of delays handed out since the last reset. */
  get attempts(): number {
    return this.#attempt
  }

  /** Call after a successful attempt. */
  reset(): void {
    this.#attempt = 0
  }
}

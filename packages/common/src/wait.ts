/**
 * Waiting on a condition with a timeout (tests never sleep; the demo waits on processes this way).
 */
import { setTimeout as delay } from 'node:timers/promises'

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @default 5000 */
  readonly timeoutMs?: number
  /** Poll interval. @default 10 */
  readonly intervalMs?: number
  /** Describes the condition in the timeout error. */
  readonly what?: string
}

/**
 * Polls `fn` until it returns a truthy value (or resolves to one) and returns that value.
 * If `fn` throws, the last error is kept and reported on timeout (useful with `assert`).
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: WaitForOptions = {}
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 5000
  const intervalMs = opts.intervalMs ?? 10
  const deadline = Date.now() + timeoutMs
  let lastErr: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== null && v !== false) return v
      lastErr = undefined
    } catch (err) {
      lastErr = err
    }
    if (Date.now() > deadline) {
      const what = opts.what ?? 'condition'
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastErr })
    }
    await delay(intervalMs)
  }
}

/**
 * Lifecycle contract for long-lived components and small async helpers around AbortSignal.
 */
import { setTimeout as delay } from 'node:timers/promises'

/** A component with a start/stop lifecycle. `stop()` is idempotent and waits for background work. */
export interface Startable {
  /** Resolves once the component is running; it must not assume other components have started. */
  start(signal?: AbortSignal): Promise<void>
  /** Resolves when every background task has finished. Safe to call more than once. */
  stop(): Promise<void>
}

/** Options that carry an AbortSignal. */
export interface AbortOptions {
  readonly signal?: AbortSignal
}

/**
 * Sleeps for `ms` milliseconds; resolves `false` early (instead of throwing) when `signal` aborts.
 * Use in retry loops: `if (!(await sleep(backoff.next(), signal))) return`.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return false
  try {
    await delay(ms, undefined, { signal })
    return true
  } catch (err) {
    if (err instanceof Error && err.name === 'AbortError') return false
    throw err
  }
}

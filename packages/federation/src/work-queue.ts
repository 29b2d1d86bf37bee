/**
 * The controller's work queue, in the spirit of client-go's: a set of dirty keys, flushed on a
 * later turn (setImmediate) so a burst of changes is one pass; at most `concurrency` keys are
 * worked on at once and a key is never worked on twice at the same time (marked again while in
 * flight, it waits for the next pass). A failed key is marked again after `retryDelayMs`.
 * Nothing is worked on before `open()` (the controller's start-up gate).
 */

/**
 * Works on one key: undefined when it finished at once, otherwise a promise of the work; a
 * rejection retries the key after the queue's delay (the handler reports the error itself).
 */
export type WorkHandler = (key: string) => Promise<void> | undefined

/** A deduplicating, concurrency-limited queue of keys. See the file comment. */
export class WorkQueue {
  readonly #dirty = new Set<string>()
  readonly #inFlight = new Set<string>()
  #flushScheduled = false
  #open = false
  #stopped = false
  #idleWaiters: (() => void)[] = []

  constructor(
    private readonly concurrency: number,
    private readonly retryDelayMs: number,
    private readonly handler: WorkHandler
  ) {}

  /** Queues `key` for the next pass. */
  add(key: string): void {
    this.#dirty.add(key)
    this.schedule()
  }

  /** Schedules a pass (also with nothing dirty: idle waiters are then released). */
  schedule(): void {
    if (this.#flushScheduled || this.#stopped) return
    this.#flushScheduled = true
    setImmediate(() => {
      this.#flushScheduled = false
      this.#flush()
    })
  }

  /** Lets passes run (the start-up gate opened). */
  open(): void {
    this.#open = true
  }

  /** Whether `open()` was called. */
  get isOpen(): boolean {
    return this.#open
  }

  /** No further passes or retries (work in flight finishes). */
  stop(): void {
    this.#stopped = true
  }

  /** Resolves once the queue is open and nothing is dirty or in flight. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  #flush(): void {
    if (this.#stopped || !this.#open) return
    // Straight over the set (deleting the visited entry is safe): a pass that stops at the
    // concurrency limit costs what it visits, not a copy of every dirty key.
    for (const k of this.#dirty) {
      if (this.#inFlight.size >= this.concurrency) break
      if (this.#inFlight.has(k)) continue
      this.#dirty.delete(k)
      this.#work(k)
    }
    this.#notifyIdle()
  }

  #work(k: string): void {
    const work = this.handler(k)
    if (work === undefined) return
    this.#inFlight.add(k)
    work
      .catch(() => {
        if (!this.#stopped) setTimeout(() => this.add(k), this.retryDelayMs).unref()
      })
      .finally(() => {
        this.#inFlight.delete(k)
        if (this.#dirty.size > 0) this.schedule()
        else this.#notifyIdle()
      })
  }

  #isIdle(): boolean {
    return (
      this.#open && this.#dirty.size === 0 && this.#inFlight.size === 0 && !this.#flushScheduled
    )
  }

  #notifyIdle(): void {
    if (!this.#isIdle()) return
    const w = this.#idleWaiters
    this.#idleWaiters = []
    for (const f of w) f()
  }
}

/**
 * The remote-failure policy: a remote whose connection fails keeps contributing for the grace
 * period (0 = withdrawn at once, as Calico), then is withdrawn until it is in sync again (or its
 * RCC changes or goes away). A remote that recovers within the grace period is never withdrawn.
 */
import type { RemoteInfo } from './source/remotes.js'

/** Which remotes are withdrawn, with one grace timer per failed remote. */
export class Withdrawals {
  readonly #withdrawn = new Set<string>()
  readonly #timers = new Map<string, NodeJS.Timeout>()
  #stopped = false

  /**
   * @param graceMs how long a failed remote keeps its addresses
   * @param onChange called when a remote is withdrawn (true) or federated again (false)
   */
  constructor(
    private readonly graceMs: number,
    private readonly onChange: (name: string, withdrawn: boolean) => void
  ) {}

  /** True while remote `name` is withdrawn. */
  has(name: string): boolean {
    return this.#withdrawn.has(name)
  }

  /** Follows a status change of remote `name` (`undefined`: its RCC is gone). */
  update(name: string, info: RemoteInfo | undefined): void {
    if (info?.state === 'ConnectionFailed') {
      if (this.#withdrawn.has(name) || this.#timers.has(name)) return
      if (this.graceMs <= 0) this.#withdraw(name)
      else
        this.#timers.set(
          name,
          setTimeout(() => {
            this.#timers.delete(name)
            this.#withdraw(name)
          }, this.graceMs)
        )
      return
    }
    clearTimeout(this.#timers.get(name))
    this.#timers.delete(name)
    // Connecting after a failure is not yet back: the data may be stale until in sync
    if (info?.state === 'Connecting') return
    if (this.#withdrawn.delete(name)) this.onChange(name, false)
  }

  /** Cancels every timer. */
  stop(): void {
    this.#stopped = true
    for (const t of this.#timers.values()) clearTimeout(t)
    this.#timers.clear()
  }

  #withdraw(name: string): void {
    if (this.#stopped || this.#withdrawn.has(name)) return
    this.#withdrawn.add(name)
    this.onChange(name, true)
  }
}

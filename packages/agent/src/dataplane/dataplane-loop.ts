/**
 * The dataplane loop: when to compute and when to program.
 *
 * Overview
 *
 *        updates ──► managers.onUpdate (record, mark dirty) ──► kick()
 *                                                                  │
 *   ┌──────────────────────────── loop ◄────────────────────────────┘ (or resync timer, or retry)
 *   │ gate closed (source not in sync)?  → wait: never program a partial snapshot (fail-static)
 *   │ managers.completeDeferredWork()    → desired state to the driver (only if dirty)
 *   │ resync due (start, periodic, after any error)? → driver.markForResync()
 *   │ driver.apply()                     → minimal kernel changes
 *   │   ok: status 'programmed' (or 'waiting' for our own VTEP), backoff reset
 *   │   error: mark resync, status 'error', retry after backoff (200 ms … 10 s)
 *   └──────────────────────────────────────────────────────────────────────
 *
 * Full resyncs run at start, after every error and every `resyncIntervalMs` (Felix's
 * RouteRefreshInterval, 90 s). A resync re-reads the kernel and repairs drift; against an already
 * correct kernel it changes nothing.
 *
 * Fail-static: while the update source is disconnected or resyncing the gate is closed, so the
 * kernel keeps the last programmed state (the periodic resync is also held: it would only
 * re-assert that state anyway). The first apply happens only after the first in-sync, so an agent
 * restart never withdraws entries it simply has not received yet.
 *
 * Why one loop instead of applying inside onUpdate? Updates arrive in bursts (a snapshot is
 * thousands of keys); batching them into one compute + one diff per wake-up is what makes bulk
 * programming fast and keeps the kernel from seeing intermediate states.
 */
import {
  Backoff,
  DEFAULT_BACKOFF_CONFIG,
  sleep,
  type BackoffConfig,
  type Logger,
  type Startable,
  AlreadyStartedError,
} from '@cattail/common'
import { DataplaneNotReadyError } from '../errors.js'
import type { ApplyResult } from './types.js'
import type { Manager } from './manager.js'

/** What the loop drives: the VXLAN driver, the policy driver (one loop each). */
export interface LoopDriver {
  /** The next apply re-reads the kernel and reconciles everything. */
  markForResync(): void
  /** Programs the difference; throws on failure (the loop resyncs and retries). */
  apply(signal?: AbortSignal): Promise<ApplyResult>
}

/** Settings of {@link DataplaneLoop}. */
export interface DataplaneLoopConfig {
  /** Period of full resyncs in ms (0 disables them). @default 90000 */
  readonly resyncIntervalMs: number
  /** Retry backoff after a failed apply. @default 200 ms … 10 s */
  readonly retryBackoff: BackoffConfig
}

/** Defaults for {@link DataplaneLoopConfig}. */
export const DEFAULT_DATAPLANE_LOOP_CONFIG: DataplaneLoopConfig = Object.freeze({
  resyncIntervalMs: 90_000,
  retryBackoff: DEFAULT_BACKOFF_CONFIG,
})

/** Where the dataplane stands. */
export type DataplaneStatus = 'starting' | 'gated' | 'waiting' | 'programmed' | 'error'

/** Observers of the loop (metrics). */
export interface DataplaneLoopHooks {
  readonly onApplied?: (r: ApplyResult, durationMs: number) => void
  readonly onError?: (err: unknown) => void
}

/** Runs managers and the driver; see the file comment. */
export class DataplaneLoop implements Startable {
  readonly #log: Logger
  #abort: AbortController | undefined
  #task: Promise<void> | undefined
  #gateOpen = false
  #kicked = false
  #wake: (() => void) | undefined
  #status: DataplaneStatus = 'starting'
  #nextResyncAt = 0
  #cycles = 0
  #crashed = false
  #resyncRequested = true // start with a full resync
  readonly #backoff: Backoff

  constructor(
    private readonly cfg: DataplaneLoopConfig,
    private readonly managers: readonly Manager[],
    private readonly driver: LoopDriver,
    log: Logger,
    private readonly hooks: DataplaneLoopHooks = {}
  ) {
    this.#log = log.child({ component: 'dataplane' })
    this.#backoff = new Backoff(cfg.retryBackoff)
  }

  /** Current status; 'programmed' means the kernel matches the last computed state. */
  get status(): DataplaneStatus {
    return this.#status
  }

  /** Completed apply cycles (successful or not). */
  get cycles(): number {
    return this.#cycles
  }

  /** Opens (source in sync) or closes (disconnected / resyncing) the programming gate. */
  setGate(open: boolean): void {
    if (this.#gateOpen === open) return
    this.#gateOpen = open
    this.#log.info({ gate: open ? 'open' : 'closed' }, 'dataplane gate changed')
    if (open) this.kick()
  }

  /** Asks for a cycle soon (after updates were delivered to the managers). */
  kick(): void {
    this.#kicked = true
    this.#wake?.()
  }

  /** Forces a full resync on the next cycle (e.g. the netlink socket was recreated). */
  requestResync(): void {
    this.#resyncRequested = true
    this.kick()
  }

  async start(signal?: AbortSignal): Promise<void> {
    if (this.#abort !== undefined) throw new AlreadyStartedError('dataplane loop')
    const abort = new AbortController()
    const stop = signal === undefined ? abort.signal : AbortSignal.any([signal, abort.signal])
    this.#abort = abort
    this.#kicked = true
    this.#task = this.#run(stop).catch((err: unknown) => {
      // A bug, not a kernel error (those are retried inside): liveness fails and the pod restarts.
      this.#log.fatal({ err }, 'dataplane loop crashed')
      this.#status = 'error'
      this.#crashed = true
    })
    await Promise.resolve()
  }

  async stop(): Promise<void> {
    if (this.#abort === undefined) return
    this.#abort.abort()
    this.#wake?.()
    try {
      await this.#task
    } finally {
      this.#abort = undefined
      this.#task = undefined
    }
  }

  /** False once the loop task crashed (liveness). */
  get alive(): boolean {
    return !this.#crashed
  }

  async #waitForKick(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#kicked || signal.aborted) return
    await new Promise<void>((resolve) => {
      const t = ms > 0 ? setTimeout(resolve, ms) : undefined
      this.#wake = () => {
        if (t !== undefined) clearTimeout(t)
        resolve()
      }
    })
    this.#wake = undefined
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const untilResync =
        this.cfg.resyncIntervalMs > 0 ? Math.max(1, this.#nextResyncAt - Date.now()) : 0
      await this.#waitForKick(this.#gateOpen ? untilResync : 0, signal)
      if (signal.aborted) return
      this.#kicked = false
      if (!this.#gateOpen) {
        if (this.#status === 'starting') this.#status = 'gated'
        continue
      }
      const t0 = performance.now()
      for (const m of this.managers) m.completeDeferredWork()
      const now = Date.now()
      if (this.#resyncRequested || (this.cfg.resyncIntervalMs > 0 && now >= this.#nextResyncAt)) {
        this.driver.markForResync()
        this.#resyncRequested = false
        this.#nextResyncAt = now + this.cfg.resyncIntervalMs
      }
      try {
        const r = await this.driver.apply(signal)
        this.#cycles++
        this.#status = r.status
        this.#backoff.reset()
        this.hooks.onApplied?.(r, performance.now() - t0)
      } catch (err) {
        this.#cycles++
        if (signal.aborted) return
        this.driver.markForResync()
        this.hooks.onError?.(err)
        const delayMs = this.#backoff.next()
        if (err instanceof DataplaneNotReadyError) {
          this.#status = 'waiting'
          this.#log.warn({ err, delayMs }, 'dataplane not ready; retrying')
        } else {
          this.#status = 'error'
          this.#log.error({ err, delayMs }, 'dataplane apply failed; resyncing after backoff')
        }
        if (!(await sleep(delayMs, signal))) return
        this.#kicked = true
      }
    }
  }
}

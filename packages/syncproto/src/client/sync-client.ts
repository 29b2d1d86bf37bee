/**
 * The reference sync client: keeps one connection to a cattail cache, holds the full state in
 * memory and reports only real changes.
 *
 * Overview
 * --------
 * ```
 *   start() ─▶ loop: address = rotation.next()          (shuffled; each once before any repeat)
 *                   runConnection(address)              (hello, snapshot|resume, deltas, pings)
 *                   handshake worked? backoff.reset()
 *                   wait GoAway.reconnectAfterMs ?? backoff.next()
 *   stop()  ─▶ abort: the open connection closes (1000), the loop ends
 * ```
 * The state and resume point live in {@link SyncState} and survive reconnects: the next hello
 * carries `resume: {epoch, seq}`; a resuming server sends only deltas, otherwise the snapshot is
 * diffed against the held state, so an unchanged reconnect emits nothing.
 *
 * Why not Typha's "new connection ⇒ status WaitForDatastore and a full resync downstream": the
 * agent must not churn its dataplane on every cache restart or rebalance, so the client hides
 * reconnects behind the diff and reports the connection separately (`onConnectionChange`).
 */
import {
  AlreadyStartedError,
  Backoff,
  errorMessage,
  sleep,
  type Logger,
  type Startable,
} from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import type { ResumePoint } from '../messages/types.js'
import { AddressRotation } from './address-rotation.js'
import {
  validateSyncClientConfig,
  type SyncClientCallbacks,
  type SyncClientConfig,
  type SyncConnectionState,
} from './config.js'
import { runConnection } from './connection.js'
import { SyncState } from './sync-state.js'

/** Keeps a cattail agent in step with a cattail cache. */
export class SyncClient implements Startable {
  readonly #log: Logger
  readonly #state = new SyncState()
  readonly #rotation: AddressRotation
  readonly #backoff: Backoff
  #abort: AbortController | undefined
  #loop: Promise<void> | undefined
  #connection: SyncConnectionState = 'disconnected'
  #attempts = 0

  /**
   * @param cfg complete config (spread DEFAULT_SYNC_CLIENT_CONFIG); throws ConfigError when invalid
   * @param callbacks where changes, status and connection state go
   * @param log parent logger; the client logs under `component: 'syncclient'`
   * @param random random source for address shuffling and backoff jitter (tests)
   */
  constructor(
    private readonly cfg: SyncClientConfig,
    private readonly callbacks: SyncClientCallbacks,
    log: Logger,
    random: () => number = Math.random
  ) {
    validateSyncClientConfig(cfg)
    this.#log = log.child({ component: 'syncclient', node: cfg.nodeName })
    this.#rotation = new AddressRotation(cfg.addresses, random)
    this.#backoff = new Backoff(cfg.backoff, random)
  }

  /** Every key the client holds, key → latest update (read-only view, updated in place). */
  get state(): ReadonlyMap<string, KVUpdate> {
    return this.#state.kvs
  }

  /** Where the next connection will try to resume from. */
  get resumePoint(): ResumePoint | undefined {
    return this.#state.resumePoint
  }

  /** The current connection state. */
  get connectionState(): SyncConnectionState {
    return this.#connection
  }

  /** Connection attempts made since start (for tests and metrics). */
  get attempts(): number {
    return this.#attempts
  }

  /** Starts the connect loop in the background; resolves at once. */
  start(signal?: AbortSignal): Promise<void> {
    if (this.#abort !== undefined) return Promise.reject(new AlreadyStartedError('syncclient'))
    const abort = new AbortController()
    const stop = signal !== undefined ? AbortSignal.any([signal, abort.signal]) : abort.signal
    this.#abort = abort
    this.#loop = this.#run(stop).catch((err: unknown) => {
      // #run handles every expected failure itself; reaching here is a bug.
      this.#log.fatal({ err }, 'sync client loop crashed')
      throw err
    })
    return Promise.resolve()
  }

  /** Closes the connection and ends the loop. Idempotent. */
  async stop(): Promise<void> {
    if (this.#abort === undefined) return
    this.#abort.abort()
    await this.#loop
    this.#abort = undefined
    this.#loop = undefined
    this.#setConnection('stopped', undefined)
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const address = this.#rotation.next()
      this.#attempts++
      this.#setConnection('connecting', address)
      const log = this.#log.child({ address })
      log.debug({ attempt: this.#attempts }, 'connecting to sync server')
      const outcome = await runConnection({
        address,
        cfg: this.cfg,
        state: this.#state,
        callbacks: this.callbacks,
        log,
        signal,
        onPhase: (phase) => this.#setConnection(phase, address),
      })
      if (signal.aborted) break
      this.#setConnection('disconnected', address)
      if (outcome.handshakeDone) this.#backoff.reset()
      const delayMs = outcome.goAway?.reconnectAfterMs ?? this.#backoff.next()
      if (outcome.error !== undefined) {
        log.warn(
          { err: outcome.error, error: errorMessage(outcome.error), delayMs },
          'sync connection failed; retrying'
        )
      } else {
        log.info({ delayMs }, 'sync connection closed; reconnecting')
      }
      if (!(await sleep(delayMs, signal))) break
    }
  }

  #setConnection(state: SyncConnectionState, address: string | undefined): void {
    if (state === this.#connection) return
    this.#connection = state
    try {
      this.callbacks.onConnectionChange?.(state, address)
    } catch (err) {
      this.#log.error({ err, callback: 'onConnectionChange' }, 'sync client callback failed')
    }
  }
}

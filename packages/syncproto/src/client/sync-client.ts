/**
 * The reference sync client: keeps one connection to a cattail cache, holds the full state in
 * memory and reports only real changes.
 *
 * Overview
 * --------
 * ```
 *   start() ─▶ loop: [round done and a provider set?] addresses = addressProvider()
 *                   address = rotation.next()          (shuffled; each once before any repeat)
 *                   runConnection(address)              (hello, snapshot|resume, deltas, pings)
 *                   handshake worked? backoff.reset()
 *                   wait GoAway.reconnectAfterMs ?? backoff.next()
 *   stop()  ─▶ abort: the open connection closes (1000), the loop ends
 * ```
 * The state and resume point live in {@link SyncState} and survive reconnects: the next hello
 * carries `resume: {epoch, seq}`; a resuming server sends only deltas, otherwise the snapshot is
 * diffed against the held state, so an unchanged reconnect emits nothing.
 *
 * Discovery: with `addressProvider` every round of attempts starts by asking it (Typha re-lists
 * the EndpointSlices once the cached addresses are exhausted). The provider's order is kept;
 * its errors fall back to the last known list; an empty list waits with the backoff.
 *
 * Why not Typha's "new connection ⇒ status WaitForDatastore and a full resync downstream": the
 * agent must not churn its dataplane on every cache restart or rebalance, so the client hides
 * reconnects behind the diff and reports the connection separately (`onConnectionChange`).
 */
import {
  AbortedError,
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
  addressProblem,
  validateSyncClientConfig,
  type SyncClientCallbacks,
  type SyncAddressProvider,
  type SyncClientConfig,
  type SyncConnectionState,
} from './config.js'
import { runConnection } from './connection.js'
import { SyncState, type HeldDigest } from './sync-state.js'

/** Keeps a cattail agent in step with a cattail cache. */
export class SyncClient implements Startable {
  readonly #log: Logger
  readonly #state: SyncState
  readonly #rotation: AddressRotation
  readonly #backoff: Backoff
  #abort: AbortController | undefined
  #loop: Promise<void> | undefined
  #connection: SyncConnectionState = 'disconnected'
  #attempts = 0
  /** The last list the provider gave (the static addresses until it answers). */
  #known: readonly string[]

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
    this.#state = new SyncState(cfg.project, cfg.retain)
    this.#log = log.child({ component: 'syncclient', node: cfg.nodeName })
    this.#rotation = new AddressRotation(cfg.addresses, random)
    this.#known = cfg.addresses
    this.#backoff = new Backoff(cfg.backoff, random)
  }

  /**
   * Every key the client holds, key → latest update (read-only view, updated in place); empty
   * with `retain: 'digest'` (see {@link digests}).
   */
  get state(): ReadonlyMap<string, KVUpdate> {
    return this.#state.kvs
  }

  /** With `retain: 'digest'`: every key the client holds, key → digest and revision (HeldDigest). */
  get digests(): ReadonlyMap<string, HeldDigest> {
    return this.#state.digests
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
      if (this.cfg.addressProvider !== undefined && this.#rotation.roundDone) {
        const addresses = await this.#discover(this.cfg.addressProvider, signal)
        if (signal.aborted) break
        if (addresses.length === 0) {
          const delayMs = this.#backoff.next()
          this.#log.warn({ delayMs }, 'no sync server addresses; asking again')
          if (!(await sleep(delayMs, signal))) break
          continue
        }
        this.#rotation.startRound(addresses)
      }
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
      if (outcome.handshakeDone) {
        this.#backoff.reset()
        // Typha forgets tried addresses after 5 min: a lost connection starts from a fresh list.
        if (this.cfg.addressProvider !== undefined) this.#rotation.endRound()
      }
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

  /** Asks the provider; on error (logged) returns the last known list. Drops unusable URLs. */
  async #discover(provider: SyncAddressProvider, signal: AbortSignal): Promise<readonly string[]> {
    try {
      const found = await abortable(provider(signal), signal)
      const usable = found.filter((a) => {
        const problem = addressProblem(a, this.cfg.tls)
        if (problem !== undefined)
          this.#log.warn({ address: a, problem }, 'skipping unusable discovered address')
        return problem === undefined
      })
      this.#log.debug({ addresses: usable }, 'sync server addresses discovered')
      this.#known = usable
    } catch (err) {
      if (!signal.aborted)
        this.#log.warn(
          { err, error: errorMessage(err), addresses: this.#known },
          'sync server address discovery failed; using the last known addresses'
        )
    }
    return this.#known
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

/** `p`, or a rejection as soon as `signal` fires (a provider that ignores the signal cannot block stop()). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new AbortedError('address provider'))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedError('address provider'))
    signal.addEventListener('abort', onAbort, { once: true })
    void p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * One remote cluster connection: the syncer for one RemoteClusterConfiguration, its status, and
 * the keys it has handed to consumers.
 *
 * Overview:
 *
 *   apply(desired) ──(same fingerprint)──▶ nothing
 *        │ new/changed                       invalid ──▶ delete every key, ConfigIncomplete
 *        ▼
 *   Connecting (sync) ─▶ stop old syncer (in background) ─▶ read files ─▶ createSyncer ─▶ start
 *                        driver status: resync-in-progress ─▶ ResyncInProgress
 *                                       in-sync            ─▶ (flush vanished keys) InSync
 *                        driver failure ─▶ ConnectionFailed (the driver retries by itself)
 *   remove() ─▶ delete every key, then the status key (last)
 *
 * Implementation: `#emitted` (the drivers' EmittedState: canonical JSON without
 * resourceVersion) holds every key consumers currently have from this remote. Each new syncer
 * instance starts a *generation*; callbacks of older generations are ignored, so a syncer being
 * stopped can never leak updates. A fresh syncer lists everything, so
 * during its resync `#seen` collects the keys it reports; unchanged values are not re-emitted, and
 * at its in-sync the emitted keys it did not report are deleted. Within one syncer instance,
 * reconnects are the driver's business (it sends only differences), so a lost connection keeps
 * the last known data (fail-static).
 *
 * Files: a remote configured with file paths (etcd TLS files, a kubeconfig path, k8s CA/cert/key
 * files) has them hashed at connect and re-hashed every `fileCheckIntervalMs`; a change (a
 * certificate rotated in place at the same path) reconnects with the new contents.
 *
 * Guard: every remote value passes `deps.guard` (remote-guard.ts: overlaps with local addresses,
 * bad VTEP MACs) and the per-remote object limit before it reaches `#emitted`; a refused value is
 * treated as absent (a deletion if it was present), counted in the status (`rejected`,
 * `lastRejection`), reported through `deps.onRejected` and logged once per key. Past the object
 * limit, new keys are refused and keys already held keep flowing, so nothing else is affected.
 *
 * Why not restart on every change: hot reconfiguration must not disturb consumers with a full
 * delete/re-add of unchanged objects (T9/T11); the diff costs one map of this remote's keys.
 */
import {
  assertNever,
  Backoff,
  errorMessage,
  isMeshError,
  type Logger,
  type MeshError,
} from '@cattail/common'
import type { KVUpdate, Resource, ResourceKind, SyncStatus } from '@cattail/model'
import { EmittedState } from '../dedupe.js'
import type { DatastoreConfig, Syncer, SyncerCallbacks } from '../syncer.js'
import type { RemoteClusterDeps, RemoteDesired } from './remote-cluster-deps.js'
import type { RemoteRejection } from './remote-guard.js'
import { configFiles, hashFiles, resolveFiles, watchFiles } from './remote-files.js'
import { RemoteRefusals } from './remote-refusals.js'
import { renameRemoteUpdate } from './remote-rename.js'
import { sameRemoteStatus, type RemoteStatus } from './remote-status.js'

/** Failure codes that concern one object, not the connection (the driver skips the object). */
const OBJECT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ERR_BAD_OBJECT',
  'ERR_VALIDATION',
  'ERR_CONVERSION',
])

/** The connection to one remote cluster. */
export class RemoteCluster {
  readonly #log: Logger
  readonly #backoff: Backoff
  #gen = 0
  #fingerprint: string | undefined
  #syncer: Syncer | undefined
  #kinds: ReadonlySet<ResourceKind> = new Set()
  /** Every key consumers have from this remote (content compared without resourceVersion). */
  #emitted = new EmittedState()
  /** Keys reported by the current syncer instance during its first resync. */
  #seen: Set<string> | undefined
  #lastRevision = ''
  #status: RemoteStatus | undefined
  #retryTimer: NodeJS.Timeout | undefined
  #connectTimer: NodeJS.Timeout | undefined
  /** Stops of superseded syncers still in flight (awaited by stop() and remove()). */
  #stopping: Promise<void> = Promise.resolve()
  #removed = false
  /** Refusals so far, by reason, the last one, and the keys refused now. */
  readonly #refusals: RemoteRefusals
  #vtepMacConflicts: readonly string[] = []
  #fileTimer: NodeJS.Timeout | undefined

  constructor(
    readonly name: string,
    private readonly deps: RemoteClusterDeps
  ) {
    this.#log = deps.log.child({ remote: name })
    this.#refusals = new RemoteRefusals(this.#log)
    this.#backoff = new Backoff(deps.retryBackoff)
  }

  /** Current status (undefined before the first apply and after remove). */
  get status(): RemoteStatus | undefined {
    return this.#status
  }

  /** Number of keys consumers currently have from this remote. */
  get keyCount(): number {
    return this.#emitted.size
  }

  /** Sets this remote's node names whose VTEP MAC collides with another cluster's node. */
  setVtepMacConflicts(names: readonly string[]): void {
    if (names.join('\n') === this.#vtepMacConflicts.join('\n')) return
    this.#vtepMacConflicts = names
    if (this.#status !== undefined && !this.#removed) this.#setStatus(this.#status)
  }

  /** Points the remote at `desired`; reconnects only when its fingerprint changed. */
  apply(desired: RemoteDesired): void {
    if (this.#removed) return
    const fp = desired.valid ? desired.fingerprint : `invalid:${desired.reason}`
    if (fp === this.#fingerprint) return
    this.#fingerprint = fp
    this.#supersede()
    if (!desired.valid) {
      this.#log.warn({ reason: desired.reason }, 'remote cluster configuration incomplete')
      this.#deleteAll()
      this.#setStatus({ status: 'ConfigIncomplete', error: desired.reason })
      return
    }
    this.#kinds = desired.kinds
    this.#backoff.reset()
    this.#connect(this.#gen, desired)
  }

  /** The RCC is gone: stops the syncer, deletes every key, then the status key (last). */
  remove(): Promise<void> {
    if (this.#removed) return this.#stopping
    this.#removed = true
    this.#supersede()
    this.#deleteAll()
    this.#setStatus(undefined)
    return this.#stopping
  }

  /** Stops the syncer without emitting anything (shutdown). Idempotent. */
  async stop(): Promise<void> {
    this.#removed = true
    this.#supersede()
    await this.#stopping
  }

  /** Ends the current generation: stops its syncer and any pending retry. */
  #supersede(): void {
    this.#gen++
    this.#seen = undefined
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    this.#clearConnectTimer()
    clearInterval(this.#fileTimer)
    this.#fileTimer = undefined
    const old = this.#syncer
    this.#syncer = undefined
    if (old !== undefined) {
      const stopped = old.stop().catch((err: unknown) => {
        this.#log.error({ err }, 'stopping remote syncer failed')
      })
      this.#stopping = Promise.all([this.#stopping, stopped]).then(() => undefined)
    }
  }

  #connect(gen: number, desired: Extract<RemoteDesired, { valid: true }>): void {
    this.#setStatus({ status: 'Connecting' })
    this.#log.info(
      { datastoreType: desired.config.type },
      `Creating syncer for RemoteClusterConfiguration(${this.name})`
    )
    this.#startSyncer(gen, desired).catch((err: unknown) => {
      // #startSyncer handles its own failures; this is a bug guard that keeps retrying.
      this.#log.error({ err }, 'remote syncer start crashed')
      this.#retry(gen, desired)
    })
  }

  async #startSyncer(gen: number, desired: Extract<RemoteDesired, { valid: true }>): Promise<void> {
    // Not waiting for the superseded syncer to finish stopping: generations already keep its
    // callbacks out, and a stop stuck on a dead server must not delay the new connection.
    let config: DatastoreConfig
    // Hashed before reading, so a change after this point is always noticed.
    const baseline = await hashFiles(configFiles(desired))
    try {
      config = await resolveFiles(desired)
    } catch (err) {
      if (gen !== this.#gen) return
      const reason = errorMessage(err)
      this.#log.warn({ err }, 'remote cluster configuration incomplete')
      this.#setStatus({ status: 'ConfigIncomplete', error: reason })
      this.#retry(gen, desired)
      return
    }
    if (gen !== this.#gen) return
    this.#watchFiles(gen, desired, baseline)
    // A fresh syncer lists everything: track what it reports so vanished keys can be deleted.
    this.#seen = new Set()
    const syncer = this.deps.createSyncer(
      config,
      { kinds: desired.kinds, log: this.#log.child({ component: 'remote-syncer' }) },
      this.#callbacks(gen)
    )
    this.#syncer = syncer
    this.#armConnectTimer(gen)
    try {
      await syncer.start()
    } catch (err) {
      if (gen !== this.#gen) return
      this.#syncer = undefined
      this.#seen = undefined
      await syncer.stop().catch((e: unknown) => this.#log.error({ err: e }, 'stop failed'))
      if (gen !== this.#gen) return
      this.#log.warn({ err }, 'remote syncer failed to start')
      const error = errorMessage(err)
      this.#setStatus(
        isMeshError(err, 'ERR_CONFIG')
          ? { status: 'ConfigIncomplete', error }
          : { status: 'ConnectionFailed', error }
      )
      this.#retry(gen, desired)
    }
  }

  /** Reconnects when a file the configuration names changes in place (same path). */
  #watchFiles(
    gen: number,
    desired: Extract<RemoteDesired, { valid: true }>,
    baseline: string
  ): void {
    clearInterval(this.#fileTimer)
    this.#fileTimer = watchFiles(
      configFiles(desired),
      baseline,
      this.deps.fileCheckIntervalMs ?? 10_000,
      (paths) => {
        if (gen !== this.#gen) return
        this.#log.info({ files: paths }, 'remote configuration files changed; reconnecting')
        this.#supersede()
        this.#backoff.reset()
        this.#connect(this.#gen, desired)
      },
      (err) => this.#log.warn({ err }, 'checking remote files failed')
    )
  }

  /**
   * Drivers retry silently while a server does not answer at all (a black-holed address); after
   * `connectTimeoutMs` without first contact we report ConnectionFailed (the driver keeps trying).
   */
  #armConnectTimer(gen: number): void {
    this.#clearConnectTimer()
    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = undefined
      if (gen !== this.#gen || this.#status?.status !== 'Connecting') return
      const error = `no answer from the remote datastore within ${this.deps.connectTimeoutMs} ms`
      this.#log.warn({ timeoutMs: this.deps.connectTimeoutMs }, 'remote connection timed out')
      this.#setStatus({ status: 'ConnectionFailed', error })
    }, this.deps.connectTimeoutMs)
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer)
    this.#connectTimer = undefined
  }

  #retry(gen: number, desired: Extract<RemoteDesired, { valid: true }>): void {
    if (gen !== this.#gen) return
    this.#clearConnectTimer()
    const delayMs = this.#backoff.next()
    this.#log.info({ delayMs }, 'retrying remote connection')
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      if (gen !== this.#gen) return
      this.#gen++
      this.#startSyncer(this.#gen, desired).catch((err: unknown) => {
        this.#log.error({ err }, 'remote syncer start crashed')
        this.#retry(this.#gen, desired)
      })
    }, delayMs)
  }

  #callbacks(gen: number): SyncerCallbacks {
    return {
      onUpdates: (updates) => {
        if (gen === this.#gen) this.#onUpdates(updates)
      },
      onStatus: (status) => {
        if (gen === this.#gen) this.#onDriverStatus(status)
      },
      onFailure: (err) => {
        if (gen === this.#gen) this.#onFailure(err)
      },
    }
  }

  #onUpdates(updates: readonly KVUpdate[]): void {
    const out: KVUpdate[] = []
    let refused = false
    for (const raw of updates) {
      let u = renameRemoteUpdate(this.name, raw, this.#kinds)
      if (u === undefined) continue
      const rejection = this.#check(raw.value, u.key)
      this.#noteNode(raw, rejection !== undefined)
      if (rejection !== undefined) {
        refused = true
        this.#refuse(rejection, u.key)
        u = { ...u, value: undefined }
      } else this.#refusals.accepted(u.key)
      this.#lastRevision = u.revision
      if (u.value === undefined) this.#seen?.delete(u.key)
      else this.#seen?.add(u.key)
      const emit = this.#emitted.apply(u.key, u.value, u.revision)
      if (emit !== undefined) out.push(emit)
    }
    if (out.length > 0) this.deps.emit(out)
    if (refused && this.#status !== undefined) this.#setStatus(this.#status)
    // A driver that recovered without a status change still proves the connection works.
    if (this.#status?.status === 'ConnectionFailed' && this.#syncer?.status === 'in-sync') {
      this.#onDriverStatus('in-sync')
    }
  }

  #onDriverStatus(status: SyncStatus): void {
    switch (status) {
      case 'wait-for-ready':
        if (this.#status?.status !== 'ConnectionFailed') this.#setStatus({ status: 'Connecting' })
        return
      case 'resync-in-progress':
        this.#setStatus({ status: 'ResyncInProgress' })
        return
      case 'in-sync': {
        this.#flushVanished()
        this.#backoff.reset()
        const was = this.#status?.status
        this.#setStatus({ status: 'InSync' })
        // The one place this line is logged (once per remote per in-sync; the cache does not
        // repeat it when it publishes the status).
        if (was !== 'InSync') {
          this.#log.info(
            { keys: this.#emitted.size },
            `Sending in-sync update for RemoteClusterConfiguration(${this.name})`
          )
        }
        return
      }
      default:
        assertNever(status, 'driver status')
    }
  }

  #onFailure(err: MeshError): void {
    if (OBJECT_ERROR_CODES.has(err.code)) {
      this.#log.warn({ err }, 'remote object skipped')
      return
    }
    this.#log.warn({ err }, 'remote connection failed')
    const error = errorMessage(err)
    this.#setStatus(
      err.code === 'ERR_CONFIG'
        ? { status: 'ConfigIncomplete', error }
        : { status: 'ConnectionFailed', error }
    )
  }

  /** Why the remote value for `key` must be refused, or undefined. */
  #check(value: Resource | undefined, key: string): RemoteRejection | undefined {
    if (value === undefined) return undefined
    const guarded = this.deps.guard?.(value)
    if (guarded !== undefined) return guarded
    const limit = this.deps.objectLimit ?? Infinity
    if (this.#emitted.size >= limit && !this.#emitted.has(key)) {
      return {
        reason: 'object-limit',
        detail: `the remote holds ${limit} objects, its limit (--remote-object-limit): further objects are dropped`,
      }
    }
    return undefined
  }

  #refuse(rejection: RemoteRejection, key: string): void {
    this.#refusals.refuse(rejection, key)
    this.deps.onRejected?.(rejection, key)
  }

  #noteNode(raw: KVUpdate, refused: boolean): void {
    const onNode = this.deps.onNode
    if (onNode === undefined || !raw.key.startsWith('Node/')) return
    const name = raw.key.slice('Node/'.length)
    const v = raw.value
    if (refused) onNode(name, undefined)
    else if (v?.kind === 'Node') {
      const mac = v.spec.vxlanTunnelMACAddr
      onNode(name, mac === undefined ? {} : { mac })
    } else if (v === undefined) onNode(name, undefined)
  }

  /** Tells `deps.onNode` that the node of renamed key `key` (`<rcc>/Node/<name>`) is gone. */
  #forgetNode(key: string): void {
    const prefix = `${this.name}/Node/`
    if (key.startsWith(prefix)) this.deps.onNode?.(key.slice(prefix.length), undefined)
  }

  /** After a fresh syncer's first in-sync: deletes the keys it no longer reports. */
  #flushVanished(): void {
    const seen = this.#seen
    if (seen === undefined) return
    this.#seen = undefined
    const out: KVUpdate[] = []
    for (const key of [...this.#emitted.keys()]) {
      if (seen.has(key)) continue
      this.#forgetNode(key)
      const u = this.#emitted.apply(key, undefined, this.#lastRevision)
      if (u !== undefined) out.push(u)
    }
    if (out.length > 0) this.deps.emit(out)
  }

  #deleteAll(): void {
    const out: KVUpdate[] = []
    for (const key of this.#emitted.keys()) {
      this.#forgetNode(key)
      out.push({ key, value: undefined, revision: this.#lastRevision })
    }
    this.#emitted = new EmittedState()
    if (out.length > 0) this.deps.emit(out)
  }

  #setStatus(next: RemoteStatus | undefined): void {
    const status = next === undefined ? undefined : this.#withGuardInfo(next)
    if (sameRemoteStatus(this.#status, status) && status !== undefined) return
    this.#status = status
    this.deps.onStatus(status)
  }

  /** `status` with the current refusal counts and MAC conflicts (none: fields absent). */
  #withGuardInfo(status: RemoteStatus): RemoteStatus {
    const { vtepMacConflicts: _v, ...base } = this.#refusals.decorate(status)
    return {
      ...base,
      ...(this.#vtepMacConflicts.length > 0 && { vtepMacConflicts: this.#vtepMacConflicts }),
    }
  }
}

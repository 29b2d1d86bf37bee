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
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import {
  assertNever,
  Backoff,
  errorMessage,
  isMeshError,
  type BackoffConfig,
  type Logger,
  type MeshError,
} from '@cattail/common'
import type { KVUpdate, Resource, ResourceKind, SyncStatus } from '@cattail/model'
import { EmittedState } from '../dedupe.js'
import type { DatastoreConfig, Syncer, SyncerCallbacks, SyncerOptions } from '../syncer.js'
import { checkKubeconfig } from '@cattail/kubeconfig'
import type { EtcdTlsFiles } from './remote-config.js'
import type { RemoteRejection } from './remote-guard.js'
import { renameRemoteUpdate } from './remote-rename.js'
import { sameRemoteStatus, type RemoteStatus } from './remote-status.js'

/** Creates (but does not start) a syncer; `createSyncer` from the factory by default. */
export type SyncerFactory = (
  cfg: DatastoreConfig,
  opts: SyncerOptions,
  callbacks: SyncerCallbacks
) => Syncer

/** What a remote should be connected to, as decided by the mesh syncer. */
export type RemoteDesired =
  | {
      readonly valid: true
      readonly config: DatastoreConfig
      readonly etcdTlsFiles?: EtcdTlsFiles
      readonly kinds: ReadonlySet<ResourceKind>
      /** Equal fingerprints mean "no reconnect needed". */
      readonly fingerprint: string
    }
  | { readonly valid: false; readonly reason: string }

/** What a RemoteCluster needs from its owner. */
export interface RemoteClusterDeps {
  readonly log: Logger
  readonly createSyncer: SyncerFactory
  readonly retryBackoff: BackoffConfig
  /** A remote still `Connecting` this long after its syncer started is `ConnectionFailed`. */
  readonly connectTimeoutMs: number
  /** Hands a batch of (already renamed) updates to consumers. */
  readonly emit: (updates: readonly KVUpdate[]) => void
  /** The remote's status changed (undefined: the remote is gone; its status key must go). */
  readonly onStatus: (status: RemoteStatus | undefined) => void
  /** Refuses remote values (raw, before renaming); undefined lets everything pass. */
  readonly guard?: (r: Resource) => RemoteRejection | undefined
  /** Most keys this remote may hand to consumers. @default Infinity */
  readonly objectLimit?: number
  /** A remote value was refused (`key` is the renamed key). */
  readonly onRejected?: (rejection: RemoteRejection, key: string) => void
  /** How often files named by the configuration are checked for changes. @default 10000 */
  readonly fileCheckIntervalMs?: number
  /** A remote Node arrived or changed (its raw name and published MAC), or vanished (undefined). */
  readonly onNode?: (name: string, node: { readonly mac?: string } | undefined) => void
}

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
  /** Refusals so far, by reason, and the last one. */
  readonly #rejected = new Map<string, number>()
  #lastRejection: string | undefined
  /** Keys currently refused (each is logged once until it is accepted or deleted). */
  readonly #rejectedKeys = new Set<string>()
  #vtepMacConflicts: readonly string[] = []
  #fileTimer: NodeJS.Timeout | undefined

  constructor(
    readonly name: string,
    private readonly deps: RemoteClusterDeps
  ) {
    this.#log = deps.log.child({ remote: name })
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
    this.#fileTimer = undefined
    const paths = configFiles(desired)
    if (paths.length === 0) return
    let busy = false
    const check = async (): Promise<void> => {
      const hash = await hashFiles(paths)
      if (gen !== this.#gen) return
      if (hash !== baseline) {
        this.#log.info({ files: paths }, 'remote configuration files changed; reconnecting')
        this.#supersede()
        this.#backoff.reset()
        this.#connect(this.#gen, desired)
      }
    }
    const tick = (): void => {
      if (busy) return
      busy = true
      check()
        .catch((err: unknown) => this.#log.warn({ err }, 'checking remote files failed'))
        .finally(() => (busy = false))
    }
    this.#fileTimer = setInterval(tick, this.deps.fileCheckIntervalMs ?? 10_000)
    this.#fileTimer.unref()
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
      } else this.#rejectedKeys.delete(u.key)
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
    this.#rejected.set(rejection.reason, (this.#rejected.get(rejection.reason) ?? 0) + 1)
    this.#lastRejection = rejection.detail
    this.deps.onRejected?.(rejection, key)
    if (this.#rejectedKeys.has(key)) return
    this.#rejectedKeys.add(key)
    // The object limit is logged once per remote, not once per key.
    if (rejection.reason === 'object-limit' && (this.#rejected.get('object-limit') ?? 0) > 1) return
    this.#log.warn(
      { key, reason: rejection.reason, detail: rejection.detail },
      'remote object refused'
    )
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
    const { rejected: _r, lastRejection: _l, vtepMacConflicts: _v, ...base } = status
    return {
      ...base,
      ...(this.#rejected.size > 0 && { rejected: Object.fromEntries(this.#rejected) }),
      ...(this.#lastRejection !== undefined && { lastRejection: this.#lastRejection }),
      ...(this.#vtepMacConflicts.length > 0 && { vtepMacConflicts: this.#vtepMacConflicts }),
    }
  }
}

/** Every local file `desired` names (read at connect time). */
function configFiles(desired: Extract<RemoteDesired, { valid: true }>): string[] {
  const cfg = desired.config
  const out: (string | undefined)[] = []
  const f = desired.etcdTlsFiles
  if (f !== undefined) out.push(f.ca, f.cert, f.key)
  if (cfg.type === 'kubernetes') {
    if (cfg.kubeconfig.kind === 'path') out.push(cfg.kubeconfig.path)
    out.push(cfg.overrides?.caFile, cfg.overrides?.certFile, cfg.overrides?.keyFile)
  }
  return out.filter((p): p is string => p !== undefined && p !== '')
}

/** A hash of the files' contents (an unreadable file hashes as its error code). */
async function hashFiles(paths: readonly string[]): Promise<string> {
  const h = createHash('sha256')
  for (const p of paths) {
    try {
      h.update(await readFile(p))
    } catch (err) {
      h.update(`unreadable:${String((err as { code?: unknown }).code)}`)
    }
    h.update('\0')
  }
  return h.digest('hex')
}

/** The config with its file fields read: etcd TLS files into `tls`, a kubeconfig path checked. */
async function resolveFiles(
  desired: Extract<RemoteDesired, { valid: true }>
): Promise<DatastoreConfig> {
  const cfg = desired.config
  if (cfg.type === 'kubernetes' && cfg.kubeconfig.kind === 'path') {
    const contents = await readOrExplain(cfg.kubeconfig.path, 'kubeconfig')
    const server = cfg.overrides?.server
    const problem = checkKubeconfig(
      contents,
      server === undefined ? {} : { serverOverride: server }
    )
    if (problem !== undefined) throw new Error(`${cfg.kubeconfig.path}: ${problem}`)
  }
  const files = desired.etcdTlsFiles
  if (cfg.type !== 'etcdv3' || files === undefined) return cfg
  const tls: { ca?: string; cert?: string; key?: string } = { ...cfg.tls }
  if (files.ca !== undefined) tls.ca = await readOrExplain(files.ca, 'etcdCACertFile')
  if (files.cert !== undefined) tls.cert = await readOrExplain(files.cert, 'etcdCertFile')
  if (files.key !== undefined) tls.key = await readOrExplain(files.key, 'etcdKeyFile')
  return { ...cfg, tls }
}

async function readOrExplain(path: string, field: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as { code?: unknown }).code
    throw new Error(
      `cannot read ${field} ${path}: ${typeof code === 'string' ? code : errorMessage(err)}`,
      { cause: err }
    )
  }
}

/**
 * The mesh syncer: the local datastore plus one connection per RemoteClusterConfiguration (RCC),
 * merged into one Syncer stream.
 *
 * Overview:
 *
 *   local syncer (opts.kinds + RCC + Secret) ──┬─ other kinds ─────────────────────▶ consumer
 *                                              └─ RCCs, Secrets (never forwarded)
 *                                                     │ reconcile per RCC
 *                                                     ▼
 *   RemoteCluster "b" (remote syncer) ── `b/<Kind>/…` updates, RemoteClusterStatus/b ─▶ consumer
 *
 * In-sync gating: the combined status becomes `in-sync` once the local syncer is in sync and every
 * RCC present at that moment (the start-up snapshot) is InSync or has failed once
 * (ConnectionFailed / ConfigIncomplete), or `remoteInSyncTimeoutMs` after local in-sync, whichever
 * is first. RCCs added later never gate it. After that the combined status follows the local one.
 *
 * Implementation: remotes are reconciled only once the local syncer has been in sync once, so an
 * RCC and its Secret from the same snapshot never flap through ConfigIncomplete. After that, each
 * local batch reconciles the RCCs it touched (directly, or through the Secret they name).
 * Everything runs on the callers' event loop turn: the status KV of a remote is emitted before
 * the combined in-sync it unblocks.
 *
 * Guard (remote-guard.ts, mac-conflicts.ts): local Nodes and IPPools are observed as they pass;
 * every remote value is checked against them, the Service CIDRs and the per-remote object limit
 * (refusals: the remote's status, an ERR_REMOTE_REJECTED failure for the metric, a log line), and
 * node names shared by two clusters with the same (derived or published) VTEP MAC are listed in
 * the remotes' statuses (`vtepMacConflicts`) and logged with the fix.
 *
 * Why not forward RCCs and Secrets: they carry credentials (Secret contents, `etcdPassword`,
 * `k8sAPIToken`); consumers see remote state only through the status KVs.
 */
import {
  AlreadyStartedError,
  DEFAULT_BACKOFF_CONFIG,
  type BackoffConfig,
  type Logger,
  type MeshError,
} from '@cattail/common'
import {
  parseKey,
  remoteClusterNameProblem,
  type KVUpdate,
  type RemoteClusterConfiguration,
  type ResourceKind,
  type Secret,
  type SyncStatus,
} from '@cattail/model'
import { RemoteObjectRejectedError } from '../errors.js'
import { createSyncer } from '../factory.js'
import type { DatastoreConfig, Syncer, SyncerCallbacks, SyncerOptions } from '../syncer.js'
import { LOCAL_CLUSTER, VtepMacConflicts } from './mac-conflicts.js'
import { malformedRccName } from './malformed-rcc.js'
import { InSyncGate } from './in-sync-gate.js'
import { LocalAddressView } from './remote-guard.js'
import { RemoteCluster } from './remote-cluster.js'
import type { RemoteDesired, SyncerFactory } from './remote-cluster-deps.js'
import { remoteDatastoreConfig, secretRefOf } from './remote-config.js'
import { overlayRoutingModeOf, remoteKinds } from './remote-kinds.js'
import { remoteStatusUpdate, sameRemoteStatus, type RemoteStatus } from './remote-status.js'

/** Default namespace of cluster access Secrets (and the only one the mesh syncer watches). */
export const DEFAULT_REMOTE_SECRETS_NAMESPACE = 'cattail-system'

/** Default upper bound on how long local in-sync waits for start-up remotes: 10 s. */
export const DEFAULT_REMOTE_IN_SYNC_TIMEOUT_MS = 10_000

/** Default most objects one remote may hand to consumers: 200,000. */
export const DEFAULT_REMOTE_OBJECT_LIMIT = 200_000

/** Default time a remote may stay `Connecting` (no answer at all) before it is ConnectionFailed: 10 s. */
export const DEFAULT_REMOTE_CONNECT_TIMEOUT_MS = 10_000

/** Options of the mesh syncer: those of any syncer, plus the remote-cluster settings. */
export interface MeshSyncerOptions extends SyncerOptions {
  /**
   * Kinds consumers want (local kinds as-is; remote ones are further limited by the remote rules).
   * RemoteClusterConfiguration and Secret are read but never forwarded, even when listed.
   */
  readonly kinds: ReadonlySet<ResourceKind>
  /** Namespace of cluster access Secrets; the only one watched. @default 'cattail-system' */
  readonly secretsNamespace?: string
  /** Longest wait, after local in-sync, for start-up remotes before reporting in-sync. @default 10000 */
  readonly remoteInSyncTimeoutMs?: number
  /**
   * Admit exec plugins in remote kubeconfigs (RCC inline field or Secret); everything else that
   * runs a command or reads a local file stays rejected (ConfigIncomplete). @default false
   */
  readonly allowRemoteKubeconfigExec?: boolean
  /**
   * A remote whose datastore has not answered at all this long after its syncer started is
   * reported `ConnectionFailed` (the driver keeps trying). @default 10000
   */
  readonly remoteConnectTimeoutMs?: number
  /** Backoff between attempts to start a remote syncer (drivers retry connections themselves). */
  readonly retryBackoff?: BackoffConfig
  /** Called on every remote status change; `undefined` when the remote was removed. */
  readonly onRemoteStatus?: (name: string, status: RemoteStatus | undefined) => void
  /** Creates local and remote syncers. @default createSyncer */
  readonly createSyncer?: SyncerFactory
  /** The local Service CIDRs; remote pools and blocks overlapping them are refused. @default [] */
  readonly serviceCidrs?: readonly string[]
  /** Most objects one remote may hand to consumers; past it new ones are refused. @default 200000 */
  readonly remoteObjectLimit?: number
  /** How often files named by an RCC (TLS files, kubeconfig path) are checked. @default 10000 */
  readonly remoteFileCheckIntervalMs?: number
}

const CONSUMED_KINDS: ReadonlySet<ResourceKind> = new Set<ResourceKind>([
  'RemoteClusterConfiguration',
  'Secret',
])

/** Local syncer plus remote-cluster syncers, as one Syncer. See the file comment. */
export class MeshSyncer implements Syncer {
  readonly #log: Logger
  readonly #secretsNs: string
  readonly #factory: SyncerFactory
  readonly #rccs = new Map<string, RemoteClusterConfiguration>()
  readonly #secrets = new Map<string, Secret>()
  readonly #remotes = new Map<string, RemoteCluster>()
  /** RCCs the local driver reported as malformed (and treats as absent), with the reason. */
  readonly #malformed = new Map<string, string>()
  /** RCCs reported malformed in the current turn (their key's deletion follows the report). */
  readonly #justMalformed = new Set<string>()
  /** Remotes with a status but no connection (an RCC whose name is unusable). */
  readonly #statuses = new Map<string, RemoteStatus>()
  #local: Syncer | undefined
  #localStatus: SyncStatus = 'wait-for-ready'
  #localSyncedOnce = false
  readonly #gate: InSyncGate
  #status: SyncStatus = 'wait-for-ready'
  #stopped = false
  readonly #localView: LocalAddressView
  readonly #macs = new VtepMacConflicts()
  /** `<cluster>/<node>` conflicts already logged. */
  #loggedConflicts = new Set<string>()
  #conflictsQueued = false

  constructor(
    private readonly cfg: DatastoreConfig,
    private readonly opts: MeshSyncerOptions,
    private readonly callbacks: SyncerCallbacks
  ) {
    this.#log = opts.log.child({ component: 'mesh-syncer' })
    this.#secretsNs = opts.secretsNamespace ?? DEFAULT_REMOTE_SECRETS_NAMESPACE
    this.#gate = new InSyncGate(
      opts.remoteInSyncTimeoutMs ?? DEFAULT_REMOTE_IN_SYNC_TIMEOUT_MS,
      this.#log,
      () => this.#updateStatus()
    )
    this.#factory = opts.createSyncer ?? createSyncer
    this.#localView = new LocalAddressView(opts.serviceCidrs ?? [])
  }

  /** Node names involved in a VTEP MAC conflict between clusters (for the metric). */
  get vtepMacConflictCount(): number {
    return this.#macs.total
  }

  /** Combined status (see the gating rules in the file comment). */
  get status(): SyncStatus {
    return this.#status
  }

  /** Current status of every remote, by RCC name. */
  remoteStatuses(): ReadonlyMap<string, RemoteStatus> {
    const out = new Map(this.#statuses)
    for (const [name, r] of this.#remotes) if (r.status !== undefined) out.set(name, r.status)
    return out
  }

  /** Starts the local syncer; remotes follow once it is in sync. */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#local !== undefined) throw new AlreadyStartedError('mesh-syncer')
    const kinds = new Set(this.opts.kinds)
    for (const k of CONSUMED_KINDS) kinds.add(k)
    const local = this.#factory(
      this.cfg,
      { kinds, secretsNamespace: this.#secretsNs, log: this.opts.log },
      {
        onUpdates: (u) => this.#onLocalUpdates(u),
        onStatus: (s) => this.#onLocalStatus(s),
        onFailure: (err) => this.#onLocalFailure(err),
      }
    )
    this.#local = local
    signal?.addEventListener(
      'abort',
      () => {
        this.stop().catch((err: unknown) => this.#log.error({ err }, 'stop on abort failed'))
      },
      { once: true }
    )
    await local.start(signal)
  }

  /** Stops the local syncer and every remote. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#gate.stop()
    const remotes = [...this.#remotes.values()]
    await Promise.all([this.#local?.stop(), ...remotes.map((r) => r.stop())])
  }

  #onLocalUpdates(updates: readonly KVUpdate[]): void {
    if (this.#stopped) return
    const forward: KVUpdate[] = []
    const touched = new Set<string>()
    const touchedSecrets = new Set<string>()
    for (const u of updates) {
      const k = parseKey(u.key)
      if (k === undefined) {
        forward.push(u)
        continue
      }
      if (k.kind === 'RemoteClusterConfiguration') {
        // A deletion also ends a malformed RCC (drivers send one for a rejected RCC that is
        // deleted), so its ConfigIncomplete status goes with it; but not the deletion a driver
        // sends in the same turn as the rejection itself (a present RCC that turned bad).
        if (u.value?.kind === 'RemoteClusterConfiguration') this.#rccs.set(k.name, u.value)
        else this.#rccs.delete(k.name)
        if (u.value !== undefined || !this.#justMalformed.has(k.name))
          this.#malformed.delete(k.name)
        touched.add(k.name)
      } else if (k.kind === 'Secret') {
        const id = `${k.namespace ?? ''}/${k.name}`
        if (u.value?.kind === 'Secret') this.#secrets.set(id, u.value)
        else this.#secrets.delete(id)
        touchedSecrets.add(id)
      } else if (this.opts.kinds.has(k.kind)) {
        forward.push(u)
        if (k.cluster === undefined) this.#observeLocal(u, k.kind, k.name)
      }
    }
    if (touchedSecrets.size > 0) {
      for (const [name, rcc] of this.#rccs) {
        const ref = secretRefOf(rcc, this.#secretsNs)
        if (ref !== undefined && touchedSecrets.has(`${ref.namespace}/${ref.name}`))
          touched.add(name)
      }
    }
    if (forward.length > 0) this.callbacks.onUpdates(forward)
    if (this.#localSyncedOnce) for (const name of touched) this.#reconcile(name)
  }

  #observeLocal(u: KVUpdate, kind: ResourceKind, name: string): void {
    this.#localView.observe(u)
    if (kind !== 'Node') return
    if (u.value?.kind === 'Node')
      this.#macs.set(LOCAL_CLUSTER, name, u.value.spec.vxlanTunnelMACAddr)
    else this.#macs.delete(LOCAL_CLUSTER, name)
    this.#queueConflicts()
  }

  /** Recomputes the MAC conflicts once the current batch is done. */
  #queueConflicts(): void {
    if (this.#conflictsQueued) return
    this.#conflictsQueued = true
    queueMicrotask(() => {
      this.#conflictsQueued = false
      if (!this.#stopped) this.#refreshConflicts()
    })
  }

  #refreshConflicts(): void {
    const now = new Set<string>()
    for (const [name, remote] of this.#remotes) {
      const names = this.#macs.conflictsOf(name)
      remote.setVtepMacConflicts(names)
      for (const node of names) {
        const id = `${name}/${node}`
        now.add(id)
        if (this.#loggedConflicts.has(id)) continue
        this.#log.warn(
          { remote: name, node },
          'VXLAN tunnel MAC conflict: a node of this name exists in another cluster and both derive the same MAC; publish vxlanTunnelMACAddr on one of them'
        )
      }
    }
    this.#loggedConflicts = now
  }

  #onLocalFailure(err: MeshError): void {
    if (this.#stopped) return
    this.callbacks.onFailure(err)
    const name = malformedRccName(err)
    if (name === undefined) return
    // The driver treats the RCC as absent; we show why instead of silently dropping it.
    this.#malformed.set(name, `invalid RemoteClusterConfiguration: ${err.message}`)
    this.#justMalformed.add(name)
    queueMicrotask(() => this.#justMalformed.delete(name))
    this.#rccs.delete(name)
    if (this.#localSyncedOnce) this.#reconcile(name)
  }

  #onLocalStatus(status: SyncStatus): void {
    if (this.#stopped) return
    this.#localStatus = status
    if (status === 'in-sync' && !this.#localSyncedOnce) {
      this.#localSyncedOnce = true
      this.#gate.start(this.#rccs.keys())
      for (const name of new Set([...this.#rccs.keys(), ...this.#malformed.keys()])) {
        this.#reconcile(name)
      }
      this.#gate.arm()
    }
    this.#updateStatus()
  }

  #updateStatus(): void {
    const next = this.#gate.combined(this.#localStatus)
    if (next === this.#status) return
    this.#status = next
    this.callbacks.onStatus(next)
  }

  /** Brings remote `name` in line with its RCC (and Secret), or removes it. */
  #reconcile(name: string): void {
    const rcc = this.#rccs.get(name)
    const existing = this.#remotes.get(name)
    const malformed = this.#malformed.get(name)
    if (
      rcc === undefined &&
      malformed !== undefined &&
      remoteClusterNameProblem(name) === undefined
    ) {
      this.#remoteFor(name).apply({ valid: false, reason: malformed })
      return
    }
    if (rcc === undefined) {
      if (existing !== undefined) {
        this.#remotes.delete(name)
        this.#macs.deleteCluster(name)
        this.#queueConflicts()
        existing.remove().catch((err: unknown) => this.#log.error({ err }, 'remote removal failed'))
      } else if (this.#statuses.has(name)) {
        this.#statuses.delete(name)
        this.#emitStatus(name, undefined)
      }
      this.#gate.release(name)
      return
    }
    const nameProblem = remoteClusterNameProblem(name)
    if (nameProblem !== undefined) {
      // Such a name cannot prefix keys; report it (if it can be a key at all) and read nothing.
      this.#log.warn({ remote: name, reason: nameProblem }, 'invalid remote cluster name')
      if (!name.includes('/') && name !== '') {
        const st: RemoteStatus = { status: 'ConfigIncomplete', error: nameProblem }
        if (!sameRemoteStatus(this.#statuses.get(name), st)) {
          this.#statuses.set(name, st)
          this.#emitStatus(name, st)
        }
      }
      this.#gate.release(name)
      return
    }
    this.#remoteFor(name).apply(this.#desired(rcc))
  }

  /** The connection object of remote `name`, created on first use. */
  #remoteFor(name: string): RemoteCluster {
    let remote = this.#remotes.get(name)
    if (remote === undefined) {
      const r: RemoteCluster = new RemoteCluster(name, {
        log: this.#log,
        createSyncer: this.#factory,
        retryBackoff: this.opts.retryBackoff ?? DEFAULT_BACKOFF_CONFIG,
        connectTimeoutMs: this.opts.remoteConnectTimeoutMs ?? DEFAULT_REMOTE_CONNECT_TIMEOUT_MS,
        emit: (u) => {
          if (!this.#stopped) this.callbacks.onUpdates(u)
        },
        onStatus: (st) => {
          if (this.#stopped) return
          this.#emitStatus(name, st)
          this.#gate.observe(name, st)
        },
        guard: (value) => this.#localView.check(value),
        objectLimit: this.opts.remoteObjectLimit ?? DEFAULT_REMOTE_OBJECT_LIMIT,
        ...(this.opts.remoteFileCheckIntervalMs !== undefined && {
          fileCheckIntervalMs: this.opts.remoteFileCheckIntervalMs,
        }),
        onRejected: (rej, key) => {
          if (!this.#stopped)
            this.callbacks.onFailure(
              new RemoteObjectRejectedError(name, rej.reason, key, rej.detail)
            )
        },
        onNode: (node, v) => {
          if (v === undefined) this.#macs.delete(name, node)
          else this.#macs.set(name, node, v.mac)
          this.#queueConflicts()
        },
      })
      remote = r
      this.#remotes.set(name, r)
    }
    return remote
  }

  #desired(rcc: RemoteClusterConfiguration): RemoteDesired {
    const ref = secretRefOf(rcc, this.#secretsNs)
    if (ref !== undefined && ref.namespace !== this.#secretsNs) {
      return {
        valid: false,
        reason: `clusterAccessSecret ${ref.namespace}/${ref.name} is outside the watched secrets namespace ${this.#secretsNs}: access Secrets must be in namespace ${this.#secretsNs}`,
      }
    }
    const secret = ref === undefined ? undefined : this.#secrets.get(`${ref.namespace}/${ref.name}`)
    const res = remoteDatastoreConfig(rcc, secret, this.#secretsNs, {
      allowKubeconfigExec: this.opts.allowRemoteKubeconfigExec === true,
    })
    if (!res.ok) return { valid: false, reason: res.reason }
    const kinds = remoteKinds(overlayRoutingModeOf(rcc), this.opts.kinds)
    return {
      valid: true,
      config: res.config,
      ...(res.etcdTlsFiles !== undefined && { etcdTlsFiles: res.etcdTlsFiles }),
      kinds,
      fingerprint: JSON.stringify([res.config, res.etcdTlsFiles ?? null, [...kinds]]),
    }
  }

  #emitStatus(name: string, st: RemoteStatus | undefined): void {
    this.callbacks.onUpdates([remoteStatusUpdate(name, st)])
    this.opts.onRemoteStatus?.(name, st)
  }
}

/** Creates (but does not start) a mesh syncer over the local datastore `cfg`. */
export function createMeshSyncer(
  cfg: DatastoreConfig,
  opts: MeshSyncerOptions,
  callbacks: SyncerCallbacks
): MeshSyncer {
  return new MeshSyncer(cfg, opts, callbacks)
}

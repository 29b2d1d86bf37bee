/**
 * The federation controller: keeps, for every federated Service of the local cluster, the
 * Endpoints and EndpointSlices the calc wants, from the Services of the local and remote clusters.
 *
 * Overview:
 * ```
 *   ClusterStore(local) ─┐  changes   ┌─ dirty set (federated Services to recompute) ─┐
 *   RemoteManager ───────┼──────────► │  a Service change → the federated Services in   │
 *     ClusterStore(rcc)… ┘            │  its namespace it matched before or matches now │
 *                                     │  endpoints change → the federated Services it   │
 *                                     │  backs (index from the last computation)        │
 *                                     └────────── flush (leader only) ──► calc ──► writer
 * ```
 * Start-up gate: nothing is written before the local cluster is in sync and every remote known
 * at start-up is in sync or failed (or `startupRemoteWaitMs` passed), so a restart never
 * withdraws remote addresses only to write them back a moment later.
 *
 * Remote failure: a remote whose store reports ConnectionFailed keeps contributing for
 * `remoteGracePeriodMs` (0 = withdrawn at once, as Calico), then its Services drop out of the view
 * until it is InSync again.
 *
 * Implementation: dirty Services go through a work queue (work-queue.ts): flushes run on a later
 * turn so a burst of changes is one pass; at most `writeConcurrency` Services are written at once
 * and a Service is never written by two passes at the same time (it is re-queued instead). A
 * failed write is retried after `retryDelayMs`.
 */
import { errorMessage, type Logger } from '@cattail/common'
import { remoteStatusGaugeValue } from '@cattail/datastore'
import { classifyService, isAnnotated, type ServiceRole } from './calc/classify.js'
import { backs, federate } from './calc/federate.js'
import type { BackendGroup, BackingView, ServiceInfo } from './calc/types.js'
import type { KubeClient } from './kube/client.js'
import type { FederationMetrics } from './metrics.js'
import { ClusterStore, type ClusterStoreHandler, type StoreChange } from './source/cluster-store.js'
import { RemoteManager, type RemoteInfo } from './source/remotes.js'
import { FederationWriter } from './writer.js'
import {
  DEFAULT_CONTROLLER_CONFIG,
  type ControllerConfig,
  type ControllerStatus,
} from './controller-config.js'

export { DEFAULT_CONTROLLER_CONFIG, type ControllerConfig, type ControllerStatus }
import { BackingIndex } from './backing-index.js'
import { Withdrawals } from './withdrawals.js'
import { WorkQueue } from './work-queue.js'

interface Annotated {
  readonly svc: ServiceInfo
  readonly role: ServiceRole
}

const fedKey = (ns: string, name: string): string => `${ns}/${name}`
/** The controller (see the file comment). */
export class FederationController implements BackingView {
  readonly #log: Logger
  readonly #local: ClusterStore
  readonly #remotes: RemoteManager
  readonly #writer: FederationWriter
  readonly #stores = new Map<string, ClusterStore>()
  readonly #remoteInfo = new Map<string, RemoteInfo>()
  readonly #withdrawals: Withdrawals
  /** Annotated local Services by namespace, then name. */
  readonly #annotated = new Map<string, Map<string, Annotated>>()
  /** Backing id → federated Services (keys) it backed at their last computation. */
  readonly #index = new BackingIndex()
  readonly #addresses = new Map<string, number>()
  readonly #queue: WorkQueue
  /** Annotated local Services whose role is `federated`. */
  #federatedCount = 0
  #leader = false
  #gateTimer: NodeJS.Timeout | undefined
  #startupRemotes: Set<string> | undefined
  #remotesListed = false
  #localInSync = false

  constructor(
    client: KubeClient,
    private readonly cfg: ControllerConfig,
    private readonly metrics: FederationMetrics,
    log: Logger
  ) {
    this.#log = log.child({ component: 'federation-controller' })
    this.#queue = new WorkQueue(cfg.writeConcurrency, cfg.retryDelayMs, (k) => this.#process(k))
    this.#withdrawals = new Withdrawals(cfg.remoteGracePeriodMs, (name, withdrawn) => {
      if (withdrawn)
        this.#log.warn(
          { remote: name, gracePeriodMs: cfg.remoteGracePeriodMs },
          'remote cluster failed: withdrawing its addresses'
        )
      else
        this.#log.info({ remote: name }, 'remote cluster back: its addresses are federated again')
      this.#markAll(false)
    })
    this.#local = new ClusterStore('', client.api, this.#storeHandler(''), log, cfg.reflector)
    this.#stores.set('', this.#local)
    this.#writer = new FederationWriter(client, this.#local, metrics, log)
    this.#remotes = new RemoteManager(
      client.api,
      {
        secretsNamespace: cfg.secretsNamespace,
        requestTimeoutMs: cfg.requestTimeoutMs,
        ...(cfg.reflector !== undefined && { reflector: cfg.reflector }),
      },
      {
        storeHandler: (name) => this.#storeHandler(name),
        onRemoteStore: (name, store) => this.#onRemoteStore(name, store),
        onRemoteStatus: (name, info) => this.#onRemoteStatus(name, info),
        onListed: () => {
          this.#remotesListed = true
          this.#checkGate()
        },
      },
      log
    )
  }

  /** Starts reading the local cluster and the remotes. */
  start(): void {
    this.#local.start()
    this.#remotes.start()
  }

  /** Stops everything (writes in flight finish). */
  async stop(): Promise<void> {
    clearTimeout(this.#gateTimer)
    this.#queue.stop()
    this.#withdrawals.stop()
    await Promise.all([this.#local.stop(), this.#remotes.stop()])
  }

  /** Only the leader writes; becoming leader recomputes every federated Service. */
  setLeader(leader: boolean): void {
    if (this.#leader === leader) return
    this.#leader = leader
    this.metrics.isLeader.set(leader ? 1 : 0)
    this.#log.info(
      { leader },
      leader ? 'became leader: writing federated endpoints' : 'not leader: not writing'
    )
    if (leader) {
      this.#markOwned()
      this.#markAll(true)
    }
  }

  /** Status for health and `cattail status`. */
  status(): ControllerStatus {
    const n = this.#federatedCount
    const remotes = new Map<string, RemoteInfo & { withdrawn: boolean }>()
    for (const [name, info] of this.#remoteInfo)
      remotes.set(name, { ...info, withdrawn: this.#withdrawals.has(name) })
    return { localInSync: this.#localInSync, leader: this.#leader, federatedServices: n, remotes }
  }

  /** Resolves once nothing is dirty or being written (after the start-up gate opened). */
  idle(): Promise<void> {
    return this.#queue.idle()
  }

  // BackingView
  /** Every Service of `ns` in the local cluster and in every remote not withdrawn. */
  *servicesIn(ns: string): Iterable<ServiceInfo> {
    for (const [name, store] of this.#stores) {
      if (this.#withdrawals.has(name)) continue
      yield* store.servicesIn(ns)
    }
  }

  /** Endpoints of `svc` in its cluster. */
  groupsOf(svc: ServiceInfo): readonly BackendGroup[] {
    return this.#stores.get(svc.cluster)?.groupsOf(svc.namespace, svc.name) ?? []
  }

  #storeHandler(cluster: string): ClusterStoreHandler {
    return {
      onChange: (changes) => this.#onChanges(cluster, changes),
      onBadObject: (resource, name, reason) => {
        this.metrics.errors.inc({ kind: 'bad-object' })
        this.#log.warn(
          { cluster: cluster === '' ? '(local)' : cluster, resource, object: name, reason },
          'ignoring malformed object'
        )
      },
      onStatus: (status, error) => {
        if (cluster !== '') return // remotes report through onRemoteStatus
        this.#localInSync = status === 'InSync'
        this.#log.info({ status, ...(error !== undefined && { error }) }, 'local cluster status')
        if (this.#localInSync) this.#checkGate()
      },
    }
  }

  #onChanges(cluster: string, changes: readonly StoreChange[]): void {
    for (const c of changes) {
      if (c.type === 'service') {
        if (cluster === '') this.#onLocalService(c.namespace, c.name, c.after)
        for (const s of [c.before, c.after]) {
          if (s === undefined || isAnnotated(s)) continue
          for (const k of this.#index.federatedBy(BackingIndex.id(s.cluster, s.namespace, s.name)))
            this.#mark(k)
          for (const [name, a] of this.#annotated.get(s.namespace) ?? []) {
            if (a.role.kind === 'federated' && backs(a.svc, a.role.selector, s))
              this.#mark(fedKey(s.namespace, name))
          }
        }
      } else {
        for (const k of this.#index.federatedBy(BackingIndex.id(cluster, c.namespace, c.name)))
          this.#mark(k)
        if (cluster === '') this.#mark(fedKey(c.namespace, c.name))
      }
    }
  }

  #onLocalService(ns: string, name: string, svc: ServiceInfo | undefined): void {
    let m = this.#annotated.get(ns)
    const before = m?.get(name)
    if (before?.role.kind === 'federated') this.#federatedCount--
    if (svc === undefined || !isAnnotated(svc)) {
      if (before === undefined) return
      m?.delete(name)
      if (m?.size === 0) this.#annotated.delete(ns)
    } else {
      const role = classifyService(svc)
      if (role.kind === 'federated') this.#federatedCount++
      if (m === undefined) this.#annotated.set(ns, (m = new Map<string, Annotated>()))
      m.set(name, { svc, role })
      if (
        before?.role.kind !== role.kind ||
        ('reason' in role && 'reason' in before.role && before.role.reason !== role.reason)
      ) {
        this.#writer.forget(ns, name)
        if (role.kind !== 'federated' && role.kind !== 'plain') {
          this.metrics.errors.inc({
            kind: role.kind === 'bad-selector' ? 'bad-selector' : 'not-federated',
          })
        }
      }
    }
    this.#mark(fedKey(ns, name))
    this.#updateGauges()
  }

  #onRemoteStore(name: string, store: ClusterStore | undefined): void {
    if (store === undefined) this.#stores.delete(name)
    else this.#stores.set(name, store)
    this.#markAll(false)
  }

  #onRemoteStatus(name: string, info: RemoteInfo | undefined): void {
    if (info === undefined) {
      this.#remoteInfo.delete(name)
      this.metrics.remoteClusterStatus.remove({ remote_cluster_name: name })
    } else {
      this.#remoteInfo.set(name, info)
      const gauge = info.state === 'NoServices' ? 5 : remoteStatusGaugeValue(info.state)
      this.metrics.remoteClusterStatus.set({ remote_cluster_name: name }, gauge)
      this.#log.info(
        {
          remote: name,
          status: info.state,
          ...(info.error !== undefined && { error: info.error }),
        },
        'remote cluster status'
      )
    }
    this.#withdrawals.update(name, info)
    this.#checkGate()
  }

  #checkGate(): void {
    if (this.#queue.isOpen || !this.#localInSync || !this.#remotesListed) return
    if (this.#startupRemotes === undefined) {
      this.#startupRemotes = new Set(this.#remoteInfo.keys())
      this.#gateTimer = setTimeout(() => this.#openGate('timeout'), this.cfg.startupRemoteWaitMs)
    }
    for (const name of [...this.#startupRemotes]) {
      const st = this.#remoteInfo.get(name)?.state
      if (st === undefined || st !== 'Connecting') this.#startupRemotes.delete(name)
    }
    if (this.#startupRemotes.size === 0) this.#openGate('in-sync')
  }

  #openGate(why: string): void {
    if (this.#queue.isOpen) return
    clearTimeout(this.#gateTimer)
    this.#queue.open()
    this.#log.info({ why }, 'clusters read: federating services')
    this.#markOwned()
    this.#markAll(true)
  }

  /** Marks every Service we own objects for (clean-up of Services gone while we were away). */
  #markOwned(): void {
    for (const r of ['endpoints', 'endpointslices'] as const) {
      for (const o of this.#local.rawAll(r)) {
        const labels = (o.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {}
        if (labels['endpointslice.kubernetes.io/managed-by'] !== 'cattail') continue
        const svc = r === 'endpoints' ? o.metadata?.name : labels['kubernetes.io/service-name']
        if (svc !== undefined) this.#mark(fedKey(o.metadata?.namespace ?? '', svc))
      }
    }
  }

  #markAll(withLocal: boolean): void {
    for (const [ns, m] of this.#annotated) for (const name of m.keys()) this.#mark(fedKey(ns, name))
    if (withLocal) this.#queue.schedule()
  }

  #mark(k: string): void {
    this.#queue.add(k)
  }

  /** Recomputes federated Service `k` and, as leader, writes it (undefined: nothing to write). */
  #process(k: string): Promise<void> | undefined {
    const slash = k.indexOf('/')
    const ns = k.slice(0, slash)
    const name = k.slice(slash + 1)
    const a = this.#annotated.get(ns)?.get(name)
    let desired
    try {
      desired = this.#compute(k, a)
    } catch (err) {
      this.metrics.errors.inc({ kind: 'calc' })
      this.#log.error({ service: k, err: errorMessage(err) }, 'cannot compute federated endpoints')
      return undefined
    }
    if (!this.#leader) return undefined
    const subject = { namespace: ns, name, ...(a?.svc.uid !== undefined && { uid: a.svc.uid }) }
    const work = async (): Promise<void> => {
      if (a?.role.kind === 'has-spec-selector')
        await this.#writer.warn(subject, 'NotFederated', a.role.reason)
      if (a?.role.kind === 'bad-selector')
        await this.#writer.warn(subject, 'InvalidSelector', a.role.reason)
      await this.#writer.apply(ns, name, desired, subject)
    }
    return work().catch((err: unknown) => {
      this.metrics.errors.inc({ kind: 'write' })
      this.#log.warn(
        { service: k, err: errorMessage(err) },
        'cannot write federated endpoints; retrying'
      )
      throw err
    })
  }

  /** The objects to write for `k`, updating the backing index (undefined: remove ours). */
  #compute(k: string, a: Annotated | undefined) {
    if (a === undefined || (a.role.kind !== 'federated' && a.role.kind !== 'bad-selector')) {
      this.#index.clear(k)
      this.#addresses.delete(k)
      this.#updateGauges()
      return undefined
    }
    const out = federate(a.svc, a.role.kind === 'federated' ? a.role.selector : undefined, this)
    this.#index.set(
      k,
      out.backing.map((b) => {
        const slash = b.indexOf('/')
        return BackingIndex.id(b.slice(0, slash), a.svc.namespace, b.slice(slash + 1))
      })
    )
    this.#addresses.set(k, out.addressCount)
    this.#updateGauges()
    return out
  }

  #updateGauges(): void {
    this.metrics.federatedServices.set(this.#federatedCount)
    this.metrics.backingServices.set(this.#index.backingCount)
    let n = 0
    for (const v of this.#addresses.values()) n += v
    this.metrics.addressesWritten.set(n)
  }
}

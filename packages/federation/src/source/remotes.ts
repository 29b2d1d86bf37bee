/**
 * Remote clusters for the federation controller: watches RemoteClusterConfigurations (cluster
 * scope) and the Secrets of the secrets namespace in the local cluster, and keeps one
 * {@link ClusterStore} per usable remote, restarted when its access changes.
 *
 * Overview:
 * ```
 *   local RCCs + Secrets ──► per RCC: name check, remoteAccess (datastore's RCC/Secret reader)
 *        ├─ ok ──► loadKubeConfig ──► ClusterStore(remote) ──► onRemoteStore(name, store)
 *        └─ not ──► status ConfigIncomplete / NoServices (etcdv3 without Kubernetes access)
 * ```
 * Why not the mesh syncer: it forwards model kinds only and EndpointSlices are not one; the
 * controller needs the raw slices, so it runs its own stores over the same RCC/Secret reading.
 * Secrets are held only here, and no credential is logged.
 */
import { setMaxListeners } from 'node:events'
import { errorMessage, type Logger } from '@cattail/common'
import {
  DEFAULT_REFLECTOR_CONFIG,
  Reflector,
  loadKubeConfig,
  secretRefOf,
  type KubeApi,
  type RawObject,
  type ReflectorConfig,
} from '@cattail/datastore'
import {
  fromKubernetes,
  remoteClusterNameProblem,
  type RemoteClusterConfiguration,
  type Secret,
} from '@cattail/model'
import { KubeClient } from '../kube/client.js'
import { ClusterStore, type ClusterStoreHandler, type StoreStatus } from './cluster-store.js'
import { remoteAccess } from './remote-access.js'

/** Status of a remote for the controller: the store's, or why there is no store. */
export type RemoteState = StoreStatus | 'ConfigIncomplete' | 'NoServices'

/** Status of one remote. */
export interface RemoteInfo {
  readonly state: RemoteState
  readonly error?: string
}

/** What the remote manager reports. */
export interface RemoteManagerHandler {
  /** Handler for the store of remote `name` (created once per store). */
  storeHandler(name: string): ClusterStoreHandler
  /** A remote's store was replaced (`store`) or removed (`undefined`). */
  onRemoteStore(name: string, store: ClusterStore | undefined): void
  /** A remote's status changed (`undefined`: the RCC is gone). */
  onRemoteStatus(name: string, info: RemoteInfo | undefined): void
  /** The RCC and Secret lists were read once (remotes known at start-up). */
  onListed(): void
}

interface Remote {
  fingerprint: string
  store: ClusterStore | undefined
  info: RemoteInfo | undefined
}

/** Settings of the remote manager. */
export interface RemoteManagerConfig {
  readonly secretsNamespace: string
  readonly requestTimeoutMs: number
  readonly reflector?: ReflectorConfig
}

/** Keeps one store per remote cluster (see the file comment). */
export class RemoteManager {
  readonly #rccs = new Map<string, RemoteClusterConfiguration>()
  readonly #badRccs = new Map<string, string>()
  readonly #secrets = new Map<string, Secret>()
  readonly #remotes = new Map<string, Remote>()
  readonly #abort = new AbortController()
  readonly #log: Logger
  #runs: Promise<void>[] = []
  #listed = { rccs: false, secrets: false, reported: false }

  constructor(
    private readonly localApi: KubeApi,
    private readonly cfg: RemoteManagerConfig,
    private readonly handler: RemoteManagerHandler,
    log: Logger
  ) {
    this.#log = log.child({ component: 'remotes' })
    setMaxListeners(0, this.#abort.signal)
  }

  /** Status of every remote. */
  statuses(): ReadonlyMap<string, RemoteInfo> {
    const out = new Map<string, RemoteInfo>()
    for (const [n, r] of this.#remotes) if (r.info !== undefined) out.set(n, r.info)
    return out
  }

  /** Starts watching RCCs and Secrets. */
  start(): void {
    const tuning = this.cfg.reflector ?? DEFAULT_REFLECTOR_CONFIG
    const watch = (path: string, which: 'rccs' | 'secrets'): void => {
      const objs = new Map<string, RawObject>()
      const r = new Reflector(
        path,
        this.localApi,
        tuning,
        {
          onList: (items) => {
            objs.clear()
            for (const o of items) objs.set(o.metadata?.name ?? '', o)
            this.#listed[which] = true
            this.#replace(which, [...objs.values()])
            if (this.#listed.rccs && this.#listed.secrets && !this.#listed.reported) {
              this.#listed.reported = true
              this.handler.onListed()
            }
          },
          onEvent: (t, o) => {
            if (t === 'DELETED') objs.delete(o.metadata?.name ?? '')
            else objs.set(o.metadata?.name ?? '', o)
            this.#replace(which, [...objs.values()])
          },
          onHealthy: () => undefined,
          onError: (err, what) =>
            this.#log.warn(
              { err: errorMessage(err), what, path },
              'cannot read remote cluster configuration'
            ),
        },
        this.#log
      )
      this.#runs.push(
        r
          .run(this.#abort.signal)
          .catch((err: unknown) => this.#log.error({ err }, 'reflector stopped'))
      )
    }
    watch('/apis/crd.projectcalico.org/v1/remoteclusterconfigurations', 'rccs')
    watch(`/api/v1/namespaces/${encodeURIComponent(this.cfg.secretsNamespace)}/secrets`, 'secrets')
  }

  /** Stops watching and every remote store. */
  async stop(): Promise<void> {
    this.#abort.abort()
    const stores = [...this.#remotes.values()].map((r) => r.store?.stop())
    this.#remotes.clear()
    await Promise.all([...this.#runs, ...stores])
  }

  #replace(which: 'rccs' | 'secrets', items: readonly RawObject[]): void {
    if (which === 'rccs') {
      this.#rccs.clear()
      this.#badRccs.clear()
      for (const o of items) {
        const name = o.metadata?.name ?? ''
        const res = fromKubernetes('remoteclusterconfigurations', o)
        const rcc = res.ok ? res.resources[0] : undefined
        if (rcc?.kind === 'RemoteClusterConfiguration') this.#rccs.set(name, rcc)
        else if (!res.ok)
          this.#badRccs.set(name, `invalid RemoteClusterConfiguration: ${res.error.message}`)
      }
    } else {
      this.#secrets.clear()
      for (const o of items) {
        const res = fromKubernetes('secrets', o)
        const s = res.ok ? res.resources[0] : undefined
        if (s?.kind === 'Secret') this.#secrets.set(s.metadata.name, s)
      }
    }
    // reconcile once both lists are in, so an RCC never flaps through "Secret not found"
    if (this.#listed.rccs && this.#listed.secrets) this.#reconcile()
  }

  #reconcile(): void {
    const names = new Set([...this.#rccs.keys(), ...this.#badRccs.keys(), ...this.#remotes.keys()])
    for (const name of names) {
      const rcc = this.#rccs.get(name)
      const bad = this.#badRccs.get(name)
      if (rcc === undefined && bad === undefined) {
        this.#remove(name)
        continue
      }
      const problem = remoteClusterNameProblem(name) ?? bad
      if (problem !== undefined || rcc === undefined) {
        this.#noStore(name, { state: 'ConfigIncomplete', error: problem ?? 'invalid' })
        continue
      }
      const ref = secretRefOf(rcc, this.cfg.secretsNamespace)
      if (ref !== undefined && ref.namespace !== this.cfg.secretsNamespace) {
        this.#noStore(name, {
          state: 'ConfigIncomplete',
          error: `clusterAccessSecret ${ref.namespace}/${ref.name} is outside the watched secrets namespace ${this.cfg.secretsNamespace}`,
        })
        continue
      }
      const secret = ref === undefined ? undefined : this.#secrets.get(ref.name)
      const access = remoteAccess(rcc, secret, this.cfg.secretsNamespace)
      if (!access.ok) {
        this.#noStore(name, {
          state: access.noServices ? 'NoServices' : 'ConfigIncomplete',
          error: access.reason,
        })
        continue
      }
      const fingerprint = JSON.stringify(access.config)
      const cur = this.#remotes.get(name)
      if (cur?.store !== undefined && cur.fingerprint === fingerprint) continue
      let client: KubeClient
      try {
        client = new KubeClient(
          loadKubeConfig(access.config.kubeconfig, {
            ...(access.config.overrides !== undefined && { overrides: access.config.overrides }),
          }),
          this.cfg.requestTimeoutMs
        )
      } catch (err) {
        this.#noStore(name, { state: 'ConfigIncomplete', error: errorMessage(err) })
        continue
      }
      this.#log.info({ remote: name }, 'connecting to remote cluster for federated services')
      const old = cur?.store
      const remote: Remote = { fingerprint, store: undefined, info: { state: 'Connecting' } }
      this.#remotes.set(name, remote)
      const inner = this.handler.storeHandler(name)
      const store = new ClusterStore(
        name,
        client.api,
        {
          onChange: (c) => {
            if (remote.store === store) inner.onChange(c)
          },
          onBadObject: (r, n, reason) => inner.onBadObject(r, n, reason),
          onStatus: (st, error) => {
            if (remote.store !== store) return
            this.#setInfo(name, remote, { state: st, ...(error !== undefined && { error }) })
            inner.onStatus(st, error)
          },
        },
        this.#log,
        this.cfg.reflector
      )
      remote.store = store
      void old?.stop()
      this.handler.onRemoteStore(name, store)
      this.handler.onRemoteStatus(name, remote.info)
      store.start()
    }
  }

  #setInfo(name: string, remote: Remote, info: RemoteInfo): void {
    remote.info = info
    this.handler.onRemoteStatus(name, info)
  }

  #noStore(name: string, info: RemoteInfo): void {
    const cur = this.#remotes.get(name)
    if (
      cur?.store === undefined &&
      cur?.info?.state === info.state &&
      cur.info.error === info.error
    )
      return
    if (cur?.store !== undefined) {
      void cur.store.stop()
      this.handler.onRemoteStore(name, undefined)
    }
    this.#log.warn(
      { remote: name, state: info.state, reason: info.error },
      'remote cluster contributes no services'
    )
    this.#remotes.set(name, { fingerprint: '', store: undefined, info })
    this.handler.onRemoteStatus(name, info)
  }

  #remove(name: string): void {
    const cur = this.#remotes.get(name)
    if (cur === undefined) return
    this.#remotes.delete(name)
    if (cur.store !== undefined) {
      void cur.store.stop()
      this.handler.onRemoteStore(name, undefined)
    }
    this.handler.onRemoteStatus(name, undefined)
  }
}

/**
 * The kubernetes driver: one Reflector per API resource that produces the requested kinds,
 * conversion of every object with `fromKubernetes`, and the syncer status.
 *
 * Overview:
 * ```
 *   opts.kinds ──kubeResourcesFor──► [pods, namespaces, serviceaccounts, ippools, …]
 *        each: Reflector(list+watch) ──► onList / onEvent ──► fromKubernetes ──► keys+values
 *                                                              │
 *                          EmittedState (content dedupe) ◄─────┘──► onUpdates(batch)
 *   status: wait-for-ready ─(first contact)─► resync-in-progress ─(every reflector listed and
 *           connected)─► in-sync ─(any list/watch error)─► resync-in-progress ─► in-sync …
 * ```
 * Implementation: every reflector remembers, per object (`namespace/name`), its last
 * resourceVersion and the keys its conversion produced (a pod yields 0..n workload endpoints), so
 * an edit that drops a key, a deletion, or a relist that no longer contains an object emits
 * deletions for exactly those keys. One shared EmittedState drops updates whose content did not
 * change (a relist after reconnect emits only the differences). A bad object is reported through
 * `onFailure` (BadObjectError naming it) and treated as absent; everything else goes on.
 */
import { setMaxListeners } from 'node:events'
import type { Logger } from '@cattail/common'
import { AlreadyStartedError } from '@cattail/common'
import {
  KUBE_RESOURCES,
  type KVUpdate,
  type KubeResourceType,
  type SyncStatus,
  fromKubernetes,
  keyOf,
  keyToString,
  kubeResourcesFor,
} from '@cattail/model'
import { EmittedState } from '../dedupe.js'
import { BadObjectError, DatastoreConnectionError } from '../errors.js'
import type { DatastoreConfig, Syncer, SyncerCallbacks, SyncerOptions } from '../syncer.js'
import { KubeApi } from './kube-api.js'
import { loadKubeConfig } from '@cattail/kubeconfig'
import {
  type ChangeType,
  DEFAULT_REFLECTOR_CONFIG,
  type RawObject,
  Reflector,
  type ReflectorConfig,
} from './reflector.js'

/** Per-resource bookkeeping: what each object produced last time. */
interface ObjectState {
  readonly rv: string | undefined
  readonly keys: readonly string[]
}

interface WatchedState {
  readonly type: KubeResourceType
  readonly objects: Map<string, ObjectState>
  /** Listed at least once. */
  listed: boolean
  /** Last list or watch succeeded (no error since). */
  healthy: boolean
}

interface Watched {
  readonly state: WatchedState
  readonly reflector: Reflector
}

/** Collection path of a resource type, e.g. `/apis/crd.projectcalico.org/v1/ippools`. */
export function collectionPath(type: KubeResourceType, namespace?: string): string {
  const r = KUBE_RESOURCES[type]
  const gv = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`
  const ns = namespace !== undefined && r.namespaced ? `/namespaces/${namespace}` : ''
  return `${gv}${ns}/${r.plural}`
}

/** The kubernetes driver. `tuning` is for tests and benchmarks (defaults suit production). */
export class KubeSyncer implements Syncer {
  #status: SyncStatus = 'wait-for-ready'
  #abort: AbortController | undefined
  #runs: Promise<void>[] = []
  #watched: Watched[] = []
  readonly #emitted = new EmittedState()
  readonly #log: Logger

  constructor(
    readonly cfg: Extract<DatastoreConfig, { type: 'kubernetes' }>,
    readonly opts: SyncerOptions,
    readonly callbacks: SyncerCallbacks,
    readonly tuning: ReflectorConfig = DEFAULT_REFLECTOR_CONFIG
  ) {
    this.#log = opts.log.child({ component: 'kube-syncer' })
  }

  /** Current status. */
  get status(): SyncStatus {
    return this.#status
  }

  /** Lists done by all reflectors (initial lists and relists), for tests and metrics. */
  get listCount(): number {
    return this.#watched.reduce((n, w) => n + w.reflector.lists, 0)
  }

  /**
   * Loads the kubeconfig (rejects with KubeconfigError when it is unusable) and starts a
   * reflector per needed resource. Resolves at once; progress is reported through the callbacks.
   */
  start(): Promise<void> {
    if (this.#abort !== undefined) return Promise.reject(new AlreadyStartedError('kube-syncer'))
    let api: KubeApi
    try {
      api = new KubeApi(
        loadKubeConfig(this.cfg.kubeconfig, {
          ...(this.cfg.overrides !== undefined && { overrides: this.cfg.overrides }),
        }),
        this.tuning.requestTimeoutMs,
        this.tuning.inactivityTimeoutMs + this.tuning.requestTimeoutMs
      )
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
    const abort = new AbortController()
    // one signal is shared by every reflector's concurrent requests (a listener each): no cap
    setMaxListeners(0, abort.signal)
    this.#abort = abort
    const types = kubeResourcesFor(this.opts.kinds)
    this.#log.info({ resources: types }, 'starting kubernetes syncer')
    this.#watched = types.map((type) => {
      const ns = type === 'secrets' ? this.opts.secretsNamespace : undefined
      const path = collectionPath(type, ns)
      const st: WatchedState = { type, objects: new Map(), listed: false, healthy: false }
      const reflector = new Reflector(
        path,
        api,
        this.tuning,
        {
          onList: (items, rv) => this.#onList(st, items, rv),
          onEvent: (t, obj) => this.#onEvent(st, t, obj),
          onHealthy: () => {
            st.healthy = true
            this.#recomputeStatus()
          },
          onError: (err, what) => {
            st.healthy = false
            this.callbacks.onFailure(
              new DatastoreConnectionError('kubernetes', `${what} ${path}`, err)
            )
            this.#recomputeStatus()
          },
        },
        this.#log.child({ resource: type })
      )
      return { state: st, reflector }
    })
    this.#runs = this.#watched.map((w) =>
      w.reflector.run(abort.signal).catch((err: unknown) => {
        // run() handles API errors itself; this is a bug guard so nothing floats.
        this.#log.error({ err, resource: w.state.type }, 'reflector crashed')
        this.callbacks.onFailure(
          new DatastoreConnectionError('kubernetes', `reflect ${w.state.type}`, err)
        )
      })
    )
    if (this.#watched.length === 0) this.#setStatus('in-sync')
    return Promise.resolve()
  }

  /** Stops every reflector and waits for them. Idempotent. */
  async stop(): Promise<void> {
    const abort = this.#abort
    if (abort === undefined) return
    abort.abort()
    await Promise.all(this.#runs)
    this.#runs = []
  }

  #onList(w: WatchedState, items: readonly RawObject[], revision: string): void {
    // First contact: the initial objects arrive while resync-in-progress (Typha's order).
    if (this.#status === 'wait-for-ready') this.#setStatus('resync-in-progress')
    const out: KVUpdate[] = []
    const seen = new Set<string>()
    for (const obj of items) {
      const id = objectId(obj)
      seen.add(id)
      this.#applyObject(w, id, obj, out)
    }
    for (const [id, st] of w.objects) {
      if (seen.has(id)) continue
      w.objects.delete(id)
      for (const key of st.keys) this.#push(out, this.#emitted.apply(key, undefined, revision))
    }
    w.listed = true
    if (this.#log.isLevelEnabled('debug'))
      this.#log.debug({ resource: w.type, items: items.length, updates: out.length }, 'listed')
    if (out.length > 0) this.callbacks.onUpdates(out)
  }

  #onEvent(w: WatchedState, type: ChangeType, obj: RawObject): void {
    const out: KVUpdate[] = []
    const id = objectId(obj)
    if (type === 'DELETED') {
      const st = w.objects.get(id)
      w.objects.delete(id)
      const rv = obj.metadata?.resourceVersion ?? ''
      for (const key of st?.keys ?? []) this.#push(out, this.#emitted.apply(key, undefined, rv))
    } else this.#applyObject(w, id, obj, out)
    if (out.length > 0) this.callbacks.onUpdates(out)
  }

  /** Converts one present object and appends the resulting updates (including dropped keys). */
  #applyObject(w: WatchedState, id: string, obj: RawObject, out: KVUpdate[]): void {
    const rv = obj.metadata?.resourceVersion
    const prev = w.objects.get(id)
    if (prev !== undefined && rv !== undefined && prev.rv === rv) return // replayed, unchanged
    const conv = fromKubernetes(w.type, obj)
    const keys: string[] = []
    const revision = rv ?? ''
    if (conv.ok) {
      for (const r of conv.resources) {
        const key = keyToString(keyOf(r))
        keys.push(key)
        this.#push(out, this.#emitted.apply(key, r, revision))
      }
    } else {
      this.#log.warn({ err: conv.error, resource: w.type, object: id }, 'bad object skipped')
      this.callbacks.onFailure(
        new BadObjectError(`${KUBE_RESOURCES[w.type].plural} ${id}`, conv.error.message, conv.error)
      )
    }
    for (const key of prev?.keys ?? [])
      if (!keys.includes(key)) this.#push(out, this.#emitted.apply(key, undefined, revision))
    w.objects.set(id, { rv, keys })
  }

  #push(out: KVUpdate[], u: KVUpdate | undefined): void {
    if (u !== undefined) out.push(u)
  }

  #recomputeStatus(): void {
    if (this.#abort?.signal.aborted === true) return
    const ready = this.#watched.every(({ state: w }) => w.listed && w.healthy)
    if (ready) this.#setStatus('in-sync')
    else if (
      this.#watched.some(({ state: w }) => w.listed || w.healthy) ||
      this.#status === 'in-sync'
    )
      this.#setStatus('resync-in-progress')
  }

  #setStatus(s: SyncStatus): void {
    if (s === this.#status) return
    this.#status = s
    this.#log.info({ status: s }, 'sync status changed')
    this.callbacks.onStatus(s)
  }
}

/** `namespace/name` (or `name`) of a raw object; objects without a name get a placeholder. */
function objectId(obj: RawObject): string {
  const m = obj.metadata
  const name = m?.name ?? '<unnamed>'
  return m?.namespace !== undefined ? `${m.namespace}/${name}` : name
}

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
 * change (a relist after reconnect emits only the differences). A bad object (its conversion
 * fails or throws, or it is not even an object) is reported through `onFailure` (BadObjectError
 * naming it), logged once per object (RejectedObjects) and treated as absent; everything else,
 * including the rest of the list page, goes on.
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
import { DatastoreConnectionError } from '../errors.js'
import { RejectedObjects, guardConversion, tombstoneFor } from '../rejects.js'
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
  readonly #rejects: RejectedObjects

  constructor(
    readonly cfg: Extract<DatastoreConfig, { type: 'kubernetes' }>,
    readonly opts: SyncerOptions,
    readonly callbacks: SyncerCallbacks,
    readonly tuning: ReflectorConfig = DEFAULT_REFLECTOR_CONFIG
  ) {
    this.#log = opts.log.child({ component: 'kube-syncer' })
    this.#rejects = new RejectedObjects(this.#log, (err) => this.callbacks.onFailure(err))
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
      this.#applyObject(w, id, asRawObject(obj), out)
    }
    for (const [id, st] of w.objects) {
      if (seen.has(id)) continue
      w.objects.delete(id)
      if (this.#rejects.accept(sourceOf(w, id))) this.#push(out, this.#tombstone(w, id, revision))
      for (const key of st.keys) this.#push(out, this.#emitted.apply(key, undefined, revision))
    }
    w.listed = true
    if (this.#log.isLevelEnabled('debug'))
      this.#log.debug({ resource: w.type, items: items.length, updates: out.length }, 'listed')
    if (out.length > 0) this.callbacks.onUpdates(out)
  }

  #onEvent(w: WatchedState, type: ChangeType, raw: RawObject): void {
    const out: KVUpdate[] = []
    const obj = asRawObject(raw)
    const id = objectId(obj)
    if (type === 'DELETED') {
      const st = w.objects.get(id)
      w.objects.delete(id)
      const rawRv: unknown = obj.metadata?.resourceVersion
      const rv = typeof rawRv === 'string' ? rawRv : ''
      if (this.#rejects.accept(sourceOf(w, id))) this.#push(out, this.#tombstone(w, id, rv))
      for (const key of st?.keys ?? []) this.#push(out, this.#emitted.apply(key, undefined, rv))
    } else this.#applyObject(w, id, obj, out)
    if (out.length > 0) this.callbacks.onUpdates(out)
  }

  /** Converts one present object and appends the resulting updates (including dropped keys). */
  #applyObject(w: WatchedState, id: string, obj: RawObject, out: KVUpdate[]): void {
    const rawRv: unknown = obj.metadata?.resourceVersion
    const rv = typeof rawRv === 'string' ? rawRv : undefined
    const prev = w.objects.get(id)
    if (prev !== undefined && rv !== undefined && prev.rv === rv) return // replayed, unchanged
    // The per-object guard: whatever the conversion does with a hostile object, it cannot stop
    // the list, the watch or the status.
    const conv = guardConversion(() => {
      const c = fromKubernetes(w.type, obj)
      if (!c.ok) return c
      const pairs = c.resources.map((r) => [keyToString(keyOf(r)), r] as const)
      return { ok: true as const, pairs }
    })
    const keys: string[] = []
    const revision = rv ?? ''
    const source = sourceOf(w, id)
    if (!conv.ok) {
      this.#rejects.reject(source, w.type, 'exception', conv.detail, conv.cause)
    } else if (!conv.value.ok) {
      const err = conv.value.error
      this.#rejects.reject(source, w.type, 'invalid', err.message, err)
    } else {
      this.#rejects.accept(source)
      for (const [key, r] of conv.value.pairs) {
        keys.push(key)
        this.#push(out, this.#emitted.apply(key, r, revision))
      }
    }
    for (const key of prev?.keys ?? [])
      if (!keys.includes(key)) this.#push(out, this.#emitted.apply(key, undefined, revision))
    w.objects.set(id, { rv, keys })
  }

  /** The deletion of a rejected, now deleted object's key (RCCs only; see ../rejects.ts). */
  #tombstone(w: WatchedState, id: string, revision: string): KVUpdate | undefined {
    const r = KUBE_RESOURCES[w.type]
    const kind = r.producesKinds[0]
    return r.namespaced || kind === undefined ? undefined : tombstoneFor(kind, id, revision)
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
function objectId(raw: unknown): string {
  const m = asRawObject(raw).metadata
  const name = typeof m?.name === 'string' ? m.name : '<unnamed>'
  return typeof m?.namespace === 'string' ? `${m.namespace}/${name}` : name
}

/** `raw` if it is an object with an object (or no) `metadata`, else an empty object. */
function asRawObject(raw: unknown): RawObject {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {}
  const m = (raw as { metadata?: unknown }).metadata
  if (m !== undefined && (typeof m !== 'object' || m === null || Array.isArray(m))) return {}
  return raw as RawObject
}

/** How a rejected object is named in logs and errors: `<plural> <ns>/<name>`. */
function sourceOf(w: WatchedState, id: string): string {
  return `${KUBE_RESOURCES[w.type].plural} ${id}`
}

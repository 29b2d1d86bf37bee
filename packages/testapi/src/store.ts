/**
 * In-memory object store with etcd-like revisions.
 *
 * Overview: one global revision counter; every write bumps it and stamps the object's
 * `metadata.resourceVersion` with it, so list and watch can talk about "the state at revision N"
 * exactly like kube-apiserver over etcd. Writes append to a bounded history (the last
 * `historyLimit` events); a watch from revision R replays the history after R, or gets 410 Expired
 * when events after R have already been dropped (`compact()` drops them all on purpose).
 *
 * Implementation: objects are kept as frozen-by-convention JSON trees, cloned on the way in and
 * out, in one Map per resource keyed by `namespace/name`. Listeners are called synchronously
 * after each write, in revision order.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { type ServedResource, apiVersionOf, resourceId } from './served-resources.js'
import { alreadyExists, badRequest, conflict, expired, invalid, notFound } from './status.js'

/** Object metadata as the store keeps it. */
export interface KubeMeta {
  name?: string
  generateName?: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  [k: string]: unknown
}

/** A Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: KubeMeta
  [k: string]: unknown
}

/** Watch event types the store produces. */
export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

/** One write, as replayed to watchers. */
export interface StoreEvent {
  readonly rv: number
  /** Resource id (`pods`, `ippools.crd.projectcalico.org`). */
  readonly resource: string
  readonly type: StoreEventType
  readonly object: KubeObject
  /** The object before a MODIFIED write (watch filters need it to turn edits into ADDED/DELETED). */
  readonly previous?: KubeObject
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

const objKey = (ns: string | undefined, name: string): string =>
  ns === undefined ? name : `${ns}/${name}`

/** Options of {@link Store}. */
export interface StoreConfig {
  /** Events kept for watch replay; older revisions give 410. @default 1000 */
  readonly historyLimit: number
  /**
   * Admission after the generic checks of a create or update (`old` set): returns the object to
   * store (it may fill in fields) or throws an ApiStatusError. Runs for dry runs too.
   */
  readonly admit?: (res: ServedResource, obj: KubeObject, old?: KubeObject) => KubeObject
}

/** The in-memory storage behind the test API server. */
export class Store {
  #rv = 1
  #compactedRv = 0
  readonly #objects = new Map<string, Map<string, KubeObject>>()
  /** Sorted keys per resource; dropped when a key is added or removed. */
  readonly #sorted = new Map<string, string[]>()
  #history: StoreEvent[] = []
  readonly #listeners = new Set<(e: StoreEvent) => void>()

  constructor(private readonly cfg: StoreConfig) {}

  /**
   * A copy to run a dry-run write on: same objects and revision, no history and no listeners, so
   * nothing written to it is seen by lists or watches of this store.
   */
  dryRunCopy(): Store {
    const c = new Store(this.cfg)
    c.#rv = this.#rv
    c.#compactedRv = this.#rv
    for (const [id, m] of this.#objects) c.#objects.set(id, new Map(m))
    return c
  }

  /** The current global revision. */
  get revision(): number {
    return this.#rv
  }

  /** Oldest revision a watch may still start from. */
  get compactedRevision(): number {
    return this.#compactedRv
  }

  /**
   * Objects of one resource (in one namespace when given), sorted by namespace/name. The stored
   * objects themselves, not copies (cheap for big lists): callers must not mutate them. Writes
   * replace stored objects instead of changing them, so a returned list stays a consistent view.
   */
  list(res: ServedResource, namespace?: string, afterKey?: string): readonly KubeObject[] {
    const id = resourceId(res)
    const m = this.#objects.get(id)
    if (m === undefined) return []
    let keys = this.#sorted.get(id)
    if (keys === undefined) this.#sorted.set(id, (keys = [...m.keys()].sort()))
    let i = 0
    if (afterKey !== undefined) {
      // first key greater than afterKey (binary search)
      let hi = keys.length
      while (i < hi) {
        const mid = (i + hi) >>> 1
        if ((keys[mid] ?? '') <= afterKey) i = mid + 1
        else hi = mid
      }
    }
    const out: KubeObject[] = []
    for (; i < keys.length; i++) {
      const o = m.get(keys[i] ?? '')
      if (o === undefined) continue
      if (namespace !== undefined && res.namespaced && o.metadata.namespace !== namespace) continue
      out.push(o)
    }
    return out
  }

  /** The store key of an object (`namespace/name` or `name`), the order lists are sorted in. */
  static keyOf(o: KubeObject): string {
    return objKey(o.metadata.namespace, o.metadata.name ?? '')
  }

  /** One object (a copy) or undefined. */
  get(res: ServedResource, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.#objects.get(resourceId(res))?.get(objKey(this.#ns(res, namespace), name))
    return o === undefined ? undefined : structuredClone(o)
  }

  /** Creates an object; 409 if it exists, 422 on a bad name. Returns the stored copy. */
  create(res: ServedResource, namespace: string | undefined, body: KubeObject): KubeObject {
    const ns = this.#ns(res, namespace)
    const meta = { ...(body.metadata ?? {}) }
    if ((meta.name === undefined || meta.name === '') && meta.generateName !== undefined)
      meta.name = meta.generateName + randomBytes(3).toString('hex').slice(0, 5)
    const name = meta.name ?? ''
    this.#validate(res, name, ns, body)
    const m = this.#map(res)
    if (m.has(objKey(ns, name))) throw alreadyExists(res, name)
    if (this.cfg.admit !== undefined) body = this.cfg.admit(res, { ...body, metadata: meta })
    const rv = this.#rv + 1
    const obj: KubeObject = {
      ...structuredClone(body),
      apiVersion: apiVersionOf(res),
      kind: res.kind,
      metadata: {
        ...structuredClone(meta),
        name,
        ...(ns !== undefined && { namespace: ns }),
        uid: randomUUID(),
        resourceVersion: String(rv),
        generation: 1,
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    }
    m.set(objKey(ns, name), obj)
    this.#sorted.delete(resourceId(res))
    this.#commit(rv, res, 'ADDED', obj)
    return structuredClone(obj)
  }

  /**
   * Replaces an object. A set `metadata.resourceVersion` must equal the stored one (else 409
   * Conflict); uid and creationTimestamp are kept; generation grows when anything but metadata
   * and status changed. `onlyStatus` keeps everything but `.status` (the `/status` subresource).
   */
  update(
    res: ServedResource,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    onlyStatus = false
  ): KubeObject {
    const ns = this.#ns(res, namespace)
    const m = this.#map(res)
    const old = m.get(objKey(ns, name))
    if (old === undefined) throw notFound(res, name)
    const bodyName = body.metadata?.name
    if (bodyName !== undefined && bodyName !== name)
      throw badRequest(
        `the name of the object (${bodyName}) does not match the name on the URL (${name})`
      )
    const wantRv = body.metadata?.resourceVersion
    if (wantRv !== undefined && wantRv !== '' && wantRv !== old.metadata.resourceVersion)
      throw conflict(res, name)
    this.#validate(res, name, ns, body)
    if (this.cfg.admit !== undefined)
      body = this.cfg.admit(res, { ...body, metadata: { ...body.metadata, name } }, old)
    const next: KubeObject = onlyStatus
      ? { ...structuredClone(old), status: structuredClone(body['status']) }
      : structuredClone(body)
    if (onlyStatus && body['status'] === undefined) delete next['status']
    const specOf = (o: KubeObject): string =>
      JSON.stringify({ ...o, metadata: undefined, status: undefined })
    if (
      specOf(next) === specOf(old) &&
      JSON.stringify(next.metadata) === JSON.stringify(old.metadata) &&
      JSON.stringify(next['status']) === JSON.stringify(old['status'])
    ) {
      return structuredClone(old) // a no-op write does not bump the revision (like the real server)
    }
    const rv = this.#rv + 1
    const obj: KubeObject = {
      ...next,
      apiVersion: apiVersionOf(res),
      kind: res.kind,
      metadata: {
        ...(onlyStatus ? old.metadata : next.metadata),
        name,
        ...(ns !== undefined && { namespace: ns }),
        uid: old.metadata.uid,
        creationTimestamp: old.metadata.creationTimestamp,
        resourceVersion: String(rv),
        generation: (old.metadata.generation ?? 1) + (specOf(next) === specOf(old) ? 0 : 1),
      },
    }
    m.set(objKey(ns, name), obj)
    this.#commit(rv, res, 'MODIFIED', obj, old)
    return structuredClone(obj)
  }

  /** Deletes an object; 404 when missing. Returns the deleted object at its deletion revision. */
  delete(res: ServedResource, namespace: string | undefined, name: string): KubeObject {
    const ns = this.#ns(res, namespace)
    const m = this.#map(res)
    const old = m.get(objKey(ns, name))
    if (old === undefined) throw notFound(res, name)
    m.delete(objKey(ns, name))
    this.#sorted.delete(resourceId(res))
    const rv = this.#rv + 1
    const obj: KubeObject = { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } }
    this.#commit(rv, res, 'DELETED', obj)
    return structuredClone(obj)
  }

  /** Events with a revision greater than `rv`; throws 410 when some of them were dropped. */
  eventsSince(rv: number): StoreEvent[] {
    if (rv < this.#compactedRv)
      throw expired(`too old resource version: ${rv} (${this.#compactedRv})`)
    return this.#history.filter((e) => e.rv > rv)
  }

  /** Drops the whole history: watches from any revision before now get 410. */
  compact(): void {
    this.#history = []
    this.#compactedRv = this.#rv
  }

  /** Calls `fn` after every write; returns the unsubscribe function. */
  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.#listeners.add(fn)
    return () => this.#listeners.delete(fn)
  }

  #ns(res: ServedResource, namespace: string | undefined): string | undefined {
    if (!res.namespaced) return undefined
    return namespace ?? 'default'
  }

  #map(res: ServedResource): Map<string, KubeObject> {
    const id = resourceId(res)
    let m = this.#objects.get(id)
    if (m === undefined) this.#objects.set(id, (m = new Map<string, KubeObject>()))
    return m
  }

  #validate(res: ServedResource, name: string, ns: string | undefined, body: KubeObject): void {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('the body of the request must be a JSON object')
    if (name === '')
      throw invalid(res, name, 'metadata.name: Required value: name or generateName is required')
    if (name.length > 253 || !NAME_RE.test(name))
      throw invalid(
        res,
        name,
        `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`
      )
    const bodyNs = body.metadata?.namespace
    if (ns !== undefined && bodyNs !== undefined && bodyNs !== '' && bodyNs !== ns)
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request'
      )
  }

  #commit(
    rv: number,
    res: ServedResource,
    type: StoreEventType,
    obj: KubeObject,
    previous?: KubeObject
  ): void {
    this.#rv = rv
    const ev: StoreEvent = {
      rv,
      resource: resourceId(res),
      type,
      object: structuredClone(obj),
      ...(previous !== undefined && { previous }),
    }
    this.#history.push(ev)
    if (this.#history.length > this.cfg.historyLimit) {
      const dropped = this.#history.splice(0, this.#history.length - this.cfg.historyLimit)
      this.#compactedRv = dropped[dropped.length - 1]?.rv ?? this.#compactedRv
    }
    for (const l of this.#listeners) l(ev)
  }
}

/**
 * One cluster's Services, EndpointSlices and Endpoints, mirrored by list+watch (the datastore's
 * Reflector) and kept parsed for the calc.
 *
 * Overview:
 * ```
 *   /api/v1/services ───────────────► services   (ServiceInfo; bad ones reported, treated as absent)
 *   /apis/discovery.k8s.io/v1/endpointslices ─► slices by Service (kubernetes.io/service-name)
 *   /api/v1/endpoints ──────────────► endpoints  (fallback for a Service with no slices)
 *        every change ──► onChange({ type, namespace, name, … }) ; status ──► onStatus
 * ```
 * A cluster that does not serve EndpointSlices (404 on the list) is read from Endpoints only.
 * The raw objects are kept too, so the writer can check ownership and compare what is there
 * with what it wants (the local cluster), and `applyWritten` folds the controller's own writes
 * in at once (read-your-writes) instead of waiting for the watch echo. An event whose numeric
 * resourceVersion is older than the object held is ignored (a late echo never rolls back).
 */
import { setMaxListeners } from 'node:events'
import { errorMessage, type Logger } from '@cattail/common'
import {
  DEFAULT_REFLECTOR_CONFIG,
  KubeApiError,
  Reflector,
  type ChangeType,
  type KubeApi,
  type RawObject,
  type ReflectorConfig,
} from '@cattail/datastore'
import {
  parseEndpointSlice,
  parseEndpoints,
  parseService,
  type ParsedSlice,
} from '../calc/parse.js'
import type { BackendGroup, ServiceInfo } from '../calc/types.js'

/** Resources a cluster store mirrors. */
export type StoreResource = 'services' | 'endpointslices' | 'endpoints'

const PATHS: Record<StoreResource, string> = {
  services: '/api/v1/services',
  endpointslices: '/apis/discovery.k8s.io/v1/endpointslices',
  endpoints: '/api/v1/endpoints',
}

/** What changed: a Service (before/after), or the endpoints of Service `name` (slices or Endpoints). */
export type StoreChange =
  | {
      readonly type: 'service'
      readonly namespace: string
      readonly name: string
      readonly before: ServiceInfo | undefined
      readonly after: ServiceInfo | undefined
    }
  | {
      readonly type: 'endpoints'
      readonly namespace: string
      /** The Service whose endpoints changed. */
      readonly name: string
      readonly resource: 'endpointslices' | 'endpoints'
    }

/** Connection state of one cluster store. */
export type StoreStatus = 'Connecting' | 'InSync' | 'ConnectionFailed'

/** Callbacks of a {@link ClusterStore}; they must not throw. */
export interface ClusterStoreHandler {
  onChange(changes: readonly StoreChange[]): void
  onStatus(status: StoreStatus, error?: string): void
  /** An object that could not be parsed (it is treated as absent). */
  onBadObject(resource: StoreResource, name: string, reason: string): void
}

interface Mirror {
  readonly resource: StoreResource
  readonly raw: Map<string, RawObject>
  listed: boolean
  healthy: boolean
  /** Not served by this cluster (404): ignored for status. */
  absent: boolean
  readonly abort: AbortController
}

const keyOf = (ns: string, name: string): string => `${ns}/${name}`

function metaOf(o: RawObject): { ns: string; name: string; rv: string | undefined } {
  return {
    ns: o.metadata?.namespace ?? '',
    name: o.metadata?.name ?? '',
    rv: o.metadata?.resourceVersion,
  }
}

function olderRv(next: string | undefined, held: string | undefined): boolean {
  if (next === undefined || held === undefined) return false
  if (!/^\d+$/.test(next) || !/^\d+$/.test(held)) return false
  return BigInt(next) < BigInt(held)
}

/** One cluster's mirror. `cluster` is the RCC name, '' for the local cluster. */
export class ClusterStore {
  readonly #mirrors = new Map<StoreResource, Mirror>()
  readonly #services = new Map<string, ServiceInfo>()
  /** Services by namespace, then name. */
  readonly #byNs = new Map<string, Map<string, ServiceInfo>>()
  readonly #slices = new Map<string, ParsedSlice>()
  readonly #slicesBySvc = new Map<string, Set<string>>()
  readonly #endpoints = new Map<string, BackendGroup[]>()
  readonly #abort = new AbortController()
  readonly #log: Logger
  #status: StoreStatus = 'Connecting'
  #runs: Promise<void>[] = []

  constructor(
    readonly cluster: string,
    private readonly api: KubeApi,
    private readonly handler: ClusterStoreHandler,
    log: Logger,
    private readonly tuning: ReflectorConfig = DEFAULT_REFLECTOR_CONFIG
  ) {
    this.#log = log.child({
      component: 'cluster-store',
      cluster: cluster === '' ? '(local)' : cluster,
    })
    setMaxListeners(0, this.#abort.signal)
  }

  /** Current status. */
  get status(): StoreStatus {
    return this.#status
  }

  /** Starts the three reflectors. */
  start(): void {
    for (const resource of ['services', 'endpointslices', 'endpoints'] as const) {
      const abort = new AbortController()
      setMaxListeners(0, abort.signal)
      this.#abort.signal.addEventListener('abort', () => abort.abort(), { once: true })
      const m: Mirror = {
        resource,
        raw: new Map(),
        listed: false,
        healthy: false,
        absent: false,
        abort,
      }
      this.#mirrors.set(resource, m)
      const r = new Reflector(
        PATHS[resource],
        this.api,
        this.tuning,
        {
          onList: (items) => this.#onList(m, items),
          onEvent: (t, o) => this.#onEvent(m, t, o),
          onHealthy: () => {
            m.healthy = true
            this.#recompute()
          },
          onError: (err, what) => this.#onError(m, err, what),
        },
        this.#log.child({ resource })
      )
      this.#runs.push(
        r.run(abort.signal).catch((err: unknown) => this.#log.error({ err }, 'reflector stopped'))
      )
    }
  }

  /** Stops every reflector. */
  async stop(): Promise<void> {
    this.#abort.abort()
    await Promise.all(this.#runs)
  }

  /** Every Service of namespace `ns`. */
  servicesIn(ns: string): Iterable<ServiceInfo> {
    return this.#byNs.get(ns)?.values() ?? []
  }

  /** Every Service. */
  services(): Iterable<ServiceInfo> {
    return this.#services.values()
  }

  /** Endpoints of Service `ns/name`: its EndpointSlices, or its Endpoints where it has none. */
  groupsOf(ns: string, name: string): readonly BackendGroup[] {
    const ids = this.#slicesBySvc.get(keyOf(ns, name))
    if (ids !== undefined && ids.size > 0) {
      const out: BackendGroup[] = []
      for (const id of ids) {
        const s = this.#slices.get(id)
        if (s !== undefined) out.push(s.group)
      }
      return out
    }
    return this.#endpoints.get(keyOf(ns, name)) ?? []
  }

  /** The raw object `ns/name` of `resource`, as last seen (or written). */
  raw(resource: StoreResource, ns: string, name: string): RawObject | undefined {
    return this.#mirrors.get(resource)?.raw.get(keyOf(ns, name))
  }

  /** Raw EndpointSlices labelled `kubernetes.io/service-name=<name>` in `ns`. */
  rawSlicesOf(ns: string, name: string): RawObject[] {
    const m = this.#mirrors.get('endpointslices')
    const out: RawObject[] = []
    for (const id of this.#slicesBySvc.get(keyOf(ns, name)) ?? []) {
      const o = m?.raw.get(id)
      if (o !== undefined) out.push(o)
    }
    return out
  }

  /** Every raw object of `resource` (for start-up clean-up of what we own). */
  rawAll(resource: StoreResource): Iterable<RawObject> {
    return this.#mirrors.get(resource)?.raw.values() ?? []
  }

  /** Folds in an object the controller just wrote (or `undefined`: deleted `ns/name`). */
  applyWritten(
    resource: 'endpointslices' | 'endpoints',
    ns: string,
    name: string,
    obj: RawObject | undefined
  ): void {
    const m = this.#mirrors.get(resource)
    if (m === undefined) return
    const changes: StoreChange[] = []
    if (obj === undefined) this.#delete(m, keyOf(ns, name), changes)
    else this.#set(m, obj, changes)
    if (changes.length > 0) this.handler.onChange(changes)
  }

  #onList(m: Mirror, items: readonly RawObject[]): void {
    const changes: StoreChange[] = []
    const seen = new Set<string>()
    for (const o of items) {
      const { ns, name } = metaOf(o)
      seen.add(keyOf(ns, name))
      this.#set(m, o, changes, true)
    }
    for (const k of [...m.raw.keys()]) if (!seen.has(k)) this.#delete(m, k, changes)
    m.listed = true
    m.healthy = true // a list that succeeded is a healthy connection
    if (changes.length > 0) this.handler.onChange(changes)
    this.#recompute()
  }

  #onEvent(m: Mirror, type: ChangeType, o: RawObject): void {
    const changes: StoreChange[] = []
    const { ns, name } = metaOf(o)
    if (type === 'DELETED') this.#delete(m, keyOf(ns, name), changes)
    else this.#set(m, o, changes)
    if (changes.length > 0) this.handler.onChange(changes)
  }

  #onError(m: Mirror, err: unknown, what: string): void {
    if (m.resource === 'endpointslices' && err instanceof KubeApiError && err.statusCode === 404) {
      this.#log.info({}, 'cluster serves no EndpointSlices; reading Endpoints only')
      m.absent = true
      m.abort.abort()
      this.#recompute()
      return
    }
    m.healthy = false
    this.#recompute(`${what} ${PATHS[m.resource]}: ${errorMessage(err)}`)
  }

  #recompute(error?: string): void {
    const ms = [...this.#mirrors.values()].filter((m) => !m.absent)
    let next: StoreStatus
    if (error !== undefined || ms.some((m) => m.listed && !m.healthy)) next = 'ConnectionFailed'
    else if (ms.every((m) => m.listed && m.healthy)) next = 'InSync'
    else next = this.#status === 'ConnectionFailed' ? 'ConnectionFailed' : 'Connecting'
    if (next === this.#status && error === undefined) return
    const changed = next !== this.#status
    this.#status = next
    if (changed) this.handler.onStatus(next, error)
  }

  #set(m: Mirror, o: RawObject, changes: StoreChange[], fromList = false): void {
    const { ns, name, rv } = metaOf(o)
    const k = keyOf(ns, name)
    const held = m.raw.get(k)
    if (!fromList && olderRv(rv, held?.metadata?.resourceVersion)) return
    if (held !== undefined && rv !== undefined && held.metadata?.resourceVersion === rv) return
    m.raw.set(k, o)
    this.#parse(m.resource, k, o, changes)
  }

  #delete(m: Mirror, k: string, changes: StoreChange[]): void {
    if (!m.raw.delete(k)) return
    this.#parse(m.resource, k, undefined, changes)
  }

  /** Updates the parsed view of `k` (undefined = gone) and records what changed. */
  #parse(
    resource: StoreResource,
    k: string,
    o: RawObject | undefined,
    changes: StoreChange[]
  ): void {
    const [ns = '', name = ''] = k.split('/')
    switch (resource) {
      case 'services': {
        const before = this.#services.get(k)
        let after: ServiceInfo | undefined
        if (o !== undefined) {
          const p = parseService(o, this.cluster)
          if (p.ok) after = p.value
          else this.handler.onBadObject(resource, k, p.reason)
        }
        let inNs = this.#byNs.get(ns)
        if (after === undefined) {
          this.#services.delete(k)
          inNs?.delete(name)
          if (inNs?.size === 0) this.#byNs.delete(ns)
        } else {
          this.#services.set(k, after)
          if (inNs === undefined) this.#byNs.set(ns, (inNs = new Map<string, ServiceInfo>()))
          inNs.set(name, after)
        }
        if (before !== undefined || after !== undefined)
          changes.push({ type: 'service', namespace: ns, name, before, after })
        return
      }
      case 'endpointslices': {
        const before = this.#slices.get(k)
        let after: ParsedSlice | undefined
        if (o !== undefined) {
          const p = parseEndpointSlice(o)
          if (p.ok) after = p.value
          else this.handler.onBadObject(resource, k, p.reason)
        }
        if (before?.service !== undefined) {
          const set = this.#slicesBySvc.get(keyOf(ns, before.service))
          set?.delete(k)
          if (set?.size === 0) this.#slicesBySvc.delete(keyOf(ns, before.service))
        }
        if (after === undefined) this.#slices.delete(k)
        else {
          this.#slices.set(k, after)
          if (after.service !== undefined) {
            const sk = keyOf(ns, after.service)
            let set = this.#slicesBySvc.get(sk)
            if (set === undefined) this.#slicesBySvc.set(sk, (set = new Set()))
            set.add(k)
          }
        }
        for (const svc of new Set([before?.service, after?.service])) {
          if (svc !== undefined)
            changes.push({ type: 'endpoints', namespace: ns, name: svc, resource })
        }
        return
      }
      case 'endpoints': {
        let groups: BackendGroup[] | undefined
        if (o !== undefined) {
          const p = parseEndpoints(o)
          if (p.ok) groups = p.value.groups
          else this.handler.onBadObject(resource, k, p.reason)
        }
        const had = this.#endpoints.delete(k)
        if (groups !== undefined) this.#endpoints.set(k, groups)
        if (had || groups !== undefined || o === undefined)
          changes.push({ type: 'endpoints', namespace: ns, name, resource })
        return
      }
    }
  }
}

/**
 * The writer: makes the local cluster hold exactly the objects the calc wants for one federated
 * Service, touching only objects it owns.
 *
 * Ownership: an Endpoints or EndpointSlice is ours when it carries the label
 * `endpointslice.kubernetes.io/managed-by: cattail`. An object of the wanted name that is not
 * ours is never overwritten: a Warning Event on the Service and a log line say so (once per
 * reason). What is ours and no longer wanted (the Service stopped being federated, was deleted, or
 * needs fewer slices) is deleted.
 *
 * Implementation: "what is there" is the local ClusterStore (watch-fed; every successful write is
 * folded in at once). A write happens only when the content (labels, annotations, subsets or
 * endpoints/ports/owner) differs; the last written content and resourceVersion per object guard
 * against a loop should a server normalise what we send. Updates carry the resourceVersion they
 * were computed against; a 409 means the store was behind, and the watch brings the object back
 * in, which marks the Service dirty again.
 */
import type { RawObject } from '@cattail/datastore'
import { errorMessage, type Logger } from '@cattail/common'
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type FederatedObjects } from './calc/types.js'
import { replyMessage, type KubeClient } from './kube/client.js'
import type { FederationMetrics } from './metrics.js'
import type { ClusterStore } from './source/cluster-store.js'

/** A write to the local API server failed (it is retried). */
export class WriteError extends Error {}

type Resource = 'endpoints' | 'endpointslices'

const collection = (r: Resource, ns: string): string =>
  r === 'endpoints'
    ? `/api/v1/namespaces/${encodeURIComponent(ns)}/endpoints`
    : `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/endpointslices`

/** True when `o` was written by cattail. */
export function isOwned(o: RawObject | undefined): boolean {
  const labels = (o?.metadata as { labels?: Record<string, unknown> } | undefined)?.labels
  return labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE
}

/** The part of an Endpoints or EndpointSlice the controller decides, as canonical JSON. */
export function contentOf(o: unknown): string {
  const x = (o ?? {}) as Record<string, unknown>
  const m = (x['metadata'] ?? {}) as Record<string, unknown>
  return stable({
    labels: m['labels'] ?? {},
    annotations: m['annotations'] ?? {},
    owners: m['ownerReferences'] ?? [],
    subsets: x['subsets'] ?? [],
    addressType: x['addressType'] ?? null,
    endpoints: x['endpoints'] ?? [],
    ports: x['ports'] ?? [],
  })
}

/** JSON with object keys sorted (arrays keep their order). */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stable(o[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}

/** The Service an Event is about. */
export interface EventSubject {
  readonly namespace: string
  readonly name: string
  readonly uid?: string
}

/** Writes Endpoints, EndpointSlices and Events to the local cluster. */
export class FederationWriter {
  readonly #last = new Map<string, { content: string; rv: string | undefined }>()
  readonly #reported = new Map<string, string>()
  readonly #log: Logger

  constructor(
    private readonly client: KubeClient,
    private readonly store: ClusterStore,
    private readonly metrics: FederationMetrics,
    log: Logger
  ) {
    this.#log = log.child({ component: 'writer' })
  }

  /**
   * Brings Service `ns/name`'s Endpoints and EndpointSlices to `desired` (undefined: remove ours).
   * Rejects with WriteError when a write failed (the caller retries).
   */
  async apply(
    ns: string,
    name: string,
    desired: FederatedObjects | undefined,
    subject: EventSubject
  ): Promise<void> {
    const failures: string[] = []
    const run = async (f: () => Promise<void>): Promise<void> => {
      try {
        await f()
      } catch (err) {
        failures.push(errorMessage(err))
      }
    }
    if (desired !== undefined) {
      const wanted = new Set(desired.slices.map((s) => s.metadata.name))
      await Promise.all([
        run(() => this.#put('endpoints', ns, name, desired.endpoints, subject)),
        ...desired.slices.map((s) =>
          run(() => this.#put('endpointslices', ns, s.metadata.name, s, subject))
        ),
      ])
      const stale = this.store
        .rawSlicesOf(ns, name)
        .filter((o) => isOwned(o) && !wanted.has(o.metadata?.name ?? ''))
      await Promise.all(
        stale.map((o) => run(() => this.#delete('endpointslices', ns, o.metadata?.name ?? '')))
      )
    } else {
      if (isOwned(this.store.raw('endpoints', ns, name)))
        await run(() => this.#delete('endpoints', ns, name))
      const ours = this.store.rawSlicesOf(ns, name).filter(isOwned)
      await Promise.all(
        ours.map((o) => run(() => this.#delete('endpointslices', ns, o.metadata?.name ?? '')))
      )
      this.#reported.delete(`${ns}/${name}|NotOwned`)
    }
    if (failures.length > 0) throw new WriteError(`${ns}/${name}: ${failures.join('; ')}`)
  }

  /** Posts a Warning Event on Service `subject` once per (reason, message); logs it every time it changes. */
  async warn(subject: EventSubject, reason: string, message: string): Promise<void> {
    const k = `${subject.namespace}/${subject.name}|${reason}`
    if (this.#reported.get(k) === message) return
    this.#reported.set(k, message)
    this.#log.warn(
      { service: `${subject.namespace}/${subject.name}`, reason, detail: message },
      'federated service problem'
    )
    const now = new Date().toISOString()
    try {
      const r = await this.client.request(
        'POST',
        `/api/v1/namespaces/${encodeURIComponent(subject.namespace)}/events`,
        {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: `${subject.name}.`, namespace: subject.namespace },
          involvedObject: {
            apiVersion: 'v1',
            kind: 'Service',
            namespace: subject.namespace,
            name: subject.name,
            ...(subject.uid !== undefined && { uid: subject.uid }),
          },
          reason,
          message,
          type: 'Warning',
          source: { component: 'cattail-federation' },
          reportingComponent: 'cattail-federation',
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        }
      )
      this.metrics.writes.inc({ resource: 'events', op: 'create' })
      if (r.status >= 300) this.#log.warn({ detail: replyMessage(r) }, 'cannot record event')
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'cannot record event')
    }
  }

  /** Forgets the reports of Service `ns/name` (it changed; report again if still wrong). */
  forget(ns: string, name: string): void {
    for (const k of [...this.#reported.keys()])
      if (k.startsWith(`${ns}/${name}|`)) this.#reported.delete(k)
  }

  async #put(
    r: Resource,
    ns: string,
    name: string,
    obj: { metadata: object },
    subject: EventSubject
  ): Promise<void> {
    const cur = this.store.raw(r, ns, name)
    if (cur !== undefined && !isOwned(cur)) {
      this.metrics.errors.inc({ kind: 'not-owned' })
      await this.warn(
        subject,
        'NotOwned',
        `${r === 'endpoints' ? 'Endpoints' : 'EndpointSlice'} ${ns}/${name} exists and was not written by cattail (no label ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}); not overwriting it`
      )
      return
    }
    const content = contentOf(obj)
    if (cur !== undefined && contentOf(cur) === content) return
    const id = `${r}|${ns}/${name}`
    const last = this.#last.get(id)
    const curRv = cur?.metadata?.resourceVersion
    if (cur !== undefined && last?.content === content && last.rv === curRv) return
    const op = cur === undefined ? 'create' : 'update'
    const body =
      cur === undefined ? obj : { ...obj, metadata: { ...obj.metadata, resourceVersion: curRv } }
    const reply = await this.#timed(r, () =>
      cur === undefined
        ? this.client.request('POST', collection(r, ns), body)
        : this.client.request('PUT', `${collection(r, ns)}/${encodeURIComponent(name)}`, body)
    )
    if (reply.status === 409) return // the watch brings the newer object, which re-marks the Service
    if (reply.status >= 300)
      throw new WriteError(`${op} ${r} ${ns}/${name}: ${replyMessage(reply)}`)
    this.metrics.writes.inc({ resource: r, op })
    const written = reply.body as RawObject
    this.#last.set(id, { content, rv: written.metadata?.resourceVersion })
    this.store.applyWritten(r, ns, name, written)
  }

  async #delete(r: Resource, ns: string, name: string): Promise<void> {
    const cur = this.store.raw(r, ns, name)
    const rv = cur?.metadata?.resourceVersion
    const reply = await this.#timed(r, () =>
      this.client.request('DELETE', `${collection(r, ns)}/${encodeURIComponent(name)}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        ...(rv !== undefined && { preconditions: { resourceVersion: rv } }),
      })
    )
    if (reply.status === 409) return
    if (reply.status >= 300 && reply.status !== 404)
      throw new WriteError(`delete ${r} ${ns}/${name}: ${replyMessage(reply)}`)
    this.metrics.writes.inc({ resource: r, op: 'delete' })
    this.#last.delete(`${r}|${ns}/${name}`)
    this.store.applyWritten(r, ns, name, undefined)
  }

  async #timed<T>(r: Resource, f: () => Promise<T>): Promise<T> {
    const end = this.metrics.writeSeconds.startTimer({ resource: r })
    try {
      return await f()
    } finally {
      end()
    }
  }
}

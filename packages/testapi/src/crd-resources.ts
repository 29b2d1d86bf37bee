/**
 * Kinds served from CustomResourceDefinitions applied at run time, as kube-apiserver's
 * apiextensions server does: a stored (not dry-run) CRD that passed admission registers one
 * resource per served version, so discovery, OpenAPI stubs and the REST paths (namespaced or
 * cluster scope, every verb, `/status` when the version declares it) appear at once; an update
 * re-registers it; a delete unregisters it (its paths answer 404 again) and deletes its objects,
 * as the CRD cleanup finalizer would.
 *
 * Admission (the store's `admit` hook, dry runs included): a malformed CRD gets 422 Invalid with
 * the real field errors (crd-validation.ts) and an accepted one gets the status the real
 * controllers write (Established, NamesAccepted, acceptedNames, storedVersions); a custom object
 * whose apiVersion is not the served version it was sent to gets 400 BadRequest, one whose kind
 * is not the CRD's gets 422 Invalid. Objects are not validated against the schema.
 *
 * The static table wins: a CRD for a kind the server already serves statically (cattail's own
 * RemoteClusterConfiguration CRD, Calico's kinds) is stored but changes nothing, so tests that use
 * those kinds without applying CRDs keep working, and deleting such a CRD does not remove them.
 * Two CRDs that claim the same kind in one group are both served (the real server refuses the
 * second one's names).
 */
import { compareVersions } from './discovery.js'
import { crdErrors, crdStatus, servedByCrd, type CrdSpec } from './crd-validation.js'
import {
  type ResourceRegistry,
  type ServedResource,
  SERVED_RESOURCES,
  apiVersionOf,
  findResource,
  lookupResource,
  resourceId,
} from './served-resources.js'
import { badRequest, invalid } from './status.js'
import type { KubeObject, Store, StoreEvent } from './store.js'

/** Resource id of CustomResourceDefinitions. */
export const CRD_RESOURCE = 'customresourcedefinitions.apiextensions.k8s.io'

/** The served-resource registry of one server: the static table plus CRD-defined kinds. */
export class CrdRegistry implements ResourceRegistry {
  /** CRD name → the resources it serves (one per served version, preferred first). */
  readonly #byCrd = new Map<string, readonly ServedResource[]>()
  #all: readonly ServedResource[] = SERVED_RESOURCES

  /** Every served resource, static ones first. */
  all(): readonly ServedResource[] {
    return this.#all
  }

  /** A served resource by id (`certificates.cert-manager.io`): static, else the CRD's first served version. */
  find(id: string): ServedResource | undefined {
    return findResource(id) ?? this.#byCrd.get(id)?.[0]
  }

  /** A served resource by group, version and plural. */
  lookup(group: string, version: string, plural: string): ServedResource | undefined {
    const r = lookupResource(group, version, plural)
    if (r !== undefined || group === '') return r
    return this.#byCrd.get(`${plural}.${group}`)?.find((x) => x.version === version)
  }

  /**
   * The store's admission hook: checks CRDs (and fills in their status) and custom objects;
   * passes everything else through.
   */
  readonly admit = (res: ServedResource, obj: KubeObject, old?: KubeObject): KubeObject => {
    if (resourceId(res) === CRD_RESOURCE) {
      const errs = crdErrors(obj, old)
      if (errs.length > 0) throw invalid(res, obj.metadata.name ?? '', errs)
      return { ...obj, status: crdStatus(obj['spec'] as CrdSpec, old) }
    }
    if (res.crd === undefined) return obj
    const want = apiVersionOf(res)
    if (obj.apiVersion !== undefined && obj.apiVersion !== want)
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want})`
      )
    if (obj.kind !== undefined && obj.kind !== res.kind)
      throw invalid(
        res,
        obj.metadata.name ?? '',
        `kind: Invalid value: ${JSON.stringify(obj.kind)}: must be ${res.kind}`
      )
    return obj
  }

  /**
   * Follows the CRDs written to `store` (the live one: dry-run copies have no listeners, so a
   * dry-run CRD registers nothing). Returns the unsubscribe function.
   */
  attach(store: Store): () => void {
    return store.subscribe((e) => this.#onEvent(store, e))
  }

  #onEvent(store: Store, e: StoreEvent): void {
    if (e.resource !== CRD_RESOURCE) return
    const name = e.object.metadata.name ?? ''
    const before = this.#byCrd.get(name)
    if (e.type === 'DELETED') {
      this.#byCrd.delete(name)
      const gone = before?.[0]
      // after the delete's own listeners ran, like the finalizer that empties the kind
      if (gone !== undefined) queueMicrotask(() => deleteAll(store, gone))
    } else {
      const served = servedByCrd(name, e.object['spec'] as CrdSpec)
        .filter((r) => findResource(resourceId(r)) === undefined)
        .sort((a, b) => compareVersions(a.version, b.version))
      if (served.length > 0) this.#byCrd.set(name, served)
      else this.#byCrd.delete(name)
    }
    this.#all = [...SERVED_RESOURCES, ...[...this.#byCrd.values()].flat()]
  }
}

/** Deletes every object of a resource whose CRD went away. */
function deleteAll(store: Store, res: ServedResource): void {
  for (const o of [...store.list(res)])
    store.delete(res, o.metadata.namespace, o.metadata.name ?? '')
}

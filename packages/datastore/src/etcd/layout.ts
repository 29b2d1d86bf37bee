/**
 * Where and how each kind lives in etcd, and the conversion of one etcd key/value to a model
 * resource. Pure (no client).
 *
 * Layout (Calico's etcdv3 datastore, plus one cattail extension):
 *
 *   /calico/resources/v3/projectcalico.org/<plural>/[<ns>/]<name>   Calico v3 JSON
 *       workloadendpoints, hostendpoints, profiles, nodes, ippools, networkpolicies,
 *       globalnetworkpolicies, tiers, networksets, globalnetworksets, remoteclusterconfigurations
 *   /calico/ipam/v2/assignment/ipv<4|6>/block/<cidr with "/" as "-">  Calico AllocationBlock JSON
 *       (e.g. `.../ipv4/block/10.0.0.0-26`); the model name is `10-0-0-0-26`, as in a
 *       Kubernetes datastore, so both drivers give a block the same key
 *   /cattail/kubernetes/v1/<plural>/<ns>/<name>                      Kubernetes v1 JSON (extension)
 *       services, endpoints, secrets: Calico keeps none of these in etcd, but an etcd-only mesh
 *       (and the RCC clusterAccessSecret) needs them
 *
 * The key decides the kind, namespace and name (as in Calico: `metadata.name` in the value is
 * overridden), and the etcd mod revision becomes `metadata.resourceVersion`.
 */
import {
  CALICO_API_VERSION,
  fromKubernetes,
  ipamBlockName,
  keyOf,
  keyToString,
  parseResource,
  type KubeResourceType,
  type Resource,
  type ResourceKind,
  type ValidationError,
} from '@cattail/model'
import { assertNever } from '@cattail/common'
import { toManifest } from '../manifest.js'

/** Root of Calico's v3 resources. */
export const CALICO_V3_PREFIX = '/calico/resources/v3/projectcalico.org/'
/** Root of Calico's IPAM blocks. */
export const CALICO_IPAM_BLOCK_PREFIX = '/calico/ipam/v2/assignment/'
/** Root of the Kubernetes objects cattail keeps in etcd. */
export const CATTAIL_KUBE_PREFIX = '/cattail/kubernetes/v1/'

/** How one kind is stored. */
export type KindLayout =
  | { readonly store: 'calico-v3'; readonly plural: string; readonly namespaced: boolean }
  | { readonly store: 'ipam-block' }
  | {
      readonly store: 'kubernetes'
      readonly plural: KubeResourceType & ('services' | 'endpoints' | 'secrets')
    }
  | { readonly store: 'none' }

/** The storage of every kind. */
export function layoutOf(kind: ResourceKind): KindLayout {
  switch (kind) {
    case 'WorkloadEndpoint':
      return { store: 'calico-v3', plural: 'workloadendpoints', namespaced: true }
    case 'HostEndpoint':
      return { store: 'calico-v3', plural: 'hostendpoints', namespaced: false }
    case 'Profile':
      return { store: 'calico-v3', plural: 'profiles', namespaced: false }
    case 'Node':
      return { store: 'calico-v3', plural: 'nodes', namespaced: false }
    case 'IPPool':
      return { store: 'calico-v3', plural: 'ippools', namespaced: false }
    case 'NetworkPolicy':
      return { store: 'calico-v3', plural: 'networkpolicies', namespaced: true }
    case 'GlobalNetworkPolicy':
      return { store: 'calico-v3', plural: 'globalnetworkpolicies', namespaced: false }
    case 'Tier':
      return { store: 'calico-v3', plural: 'tiers', namespaced: false }
    case 'NetworkSet':
      return { store: 'calico-v3', plural: 'networksets', namespaced: true }
    case 'GlobalNetworkSet':
      return { store: 'calico-v3', plural: 'globalnetworksets', namespaced: false }
    case 'RemoteClusterConfiguration':
      return { store: 'calico-v3', plural: 'remoteclusterconfigurations', namespaced: false }
    case 'IPAMBlock':
      return { store: 'ipam-block' }
    case 'Service':
      return { store: 'kubernetes', plural: 'services' }
    case 'Endpoints':
      return { store: 'kubernetes', plural: 'endpoints' }
    case 'Secret':
      return { store: 'kubernetes', plural: 'secrets' }
    case 'RemoteClusterStatus':
      return { store: 'none' }
    default:
      return assertNever(kind, 'kind')
  }
}

/**
 * The etcd prefix to list and watch for `kind` (with `namespace`, only that namespace of a
 * namespaced kind), or undefined for kinds never stored (RemoteClusterStatus).
 */
export function etcdPrefixFor(kind: ResourceKind, namespace?: string): string | undefined {
  const l = layoutOf(kind)
  switch (l.store) {
    case 'calico-v3':
      return `${CALICO_V3_PREFIX}${l.plural}/${l.namespaced && namespace !== undefined ? `${namespace}/` : ''}`
    case 'ipam-block':
      return CALICO_IPAM_BLOCK_PREFIX
    case 'kubernetes':
      return `${CATTAIL_KUBE_PREFIX}${l.plural}/${namespace !== undefined ? `${namespace}/` : ''}`
    case 'none':
      return undefined
    default:
      return assertNever(l, 'layout')
  }
}

/** Calico's IPAM block key for a CIDR: `/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26`. */
export function ipamBlockKey(cidr: string): string {
  const family = cidr.includes(':') ? 'ipv6' : 'ipv4'
  return `${CALICO_IPAM_BLOCK_PREFIX}${family}/block/${cidr.replace('/', '-')}`
}

/** The etcd key of a resource. Throws for RemoteClusterStatus (never stored). */
export function etcdKeyFor(r: Resource): string {
  if (r.kind === 'IPAMBlock') return ipamBlockKey(r.spec.cidr)
  const l = layoutOf(r.kind)
  if (l.store === 'none' || l.store === 'ipam-block')
    throw new Error(`${r.kind} is not stored in etcd`)
  const ns = r.metadata.namespace ?? 'default'
  if (l.store === 'kubernetes') return `${CATTAIL_KUBE_PREFIX}${l.plural}/${ns}/${r.metadata.name}`
  return `${CALICO_V3_PREFIX}${l.plural}/${l.namespaced ? `${ns}/` : ''}${r.metadata.name}`
}

/** The etcd key of (kind, namespace, name); for IPAMBlock `name` must be the block CIDR. */
export function etcdKeyOf(kind: ResourceKind, name: string, namespace?: string): string {
  const l = layoutOf(kind)
  switch (l.store) {
    case 'ipam-block':
      return ipamBlockKey(name)
    case 'kubernetes':
      return `${CATTAIL_KUBE_PREFIX}${l.plural}/${namespace ?? 'default'}/${name}`
    case 'calico-v3':
      return `${CALICO_V3_PREFIX}${l.plural}/${l.namespaced ? `${namespace ?? 'default'}/` : ''}${name}`
    case 'none':
      throw new Error(`${kind} is not stored in etcd`)
    default:
      return assertNever(l, 'layout')
  }
}

/**
 * The stored JSON of a resource: Calico's AllocationBlock for IPAM blocks, otherwise its manifest
 * (`toManifest`: v3 JSON, or Kubernetes v1 JSON for Service/Endpoints/Secret).
 */
export function etcdValueFor(r: Resource): string {
  return JSON.stringify(r.kind === 'IPAMBlock' ? r.spec : toManifest(r))
}

/** What one etcd key/value turned into. */
export type EtcdParse =
  | { readonly ok: true; readonly key: string; readonly resource: Resource }
  | {
      readonly ok: false
      readonly key: string | undefined
      readonly error: ValidationError | string
    }

/** The model key of an etcd key (without parsing the value), or undefined when not ours. */
export function modelKeyOfEtcdKey(kind: ResourceKind, etcdKey: string): string | undefined {
  const id = identify(kind, etcdKey)
  return id === undefined ? undefined : id.modelKey
}

interface Identity {
  readonly name: string
  readonly namespace: string | undefined
  readonly modelKey: string
}

function identify(kind: ResourceKind, etcdKey: string): Identity | undefined {
  const prefix = etcdPrefixFor(kind)
  if (prefix === undefined || !etcdKey.startsWith(prefix)) return undefined
  const rest = etcdKey.slice(prefix.length).split('/')
  const l = layoutOf(kind)
  let name: string
  let namespace: string | undefined
  if (l.store === 'ipam-block') {
    // ipv4/block/10.0.0.0-26
    if (rest.length !== 3 || rest[1] !== 'block') return undefined
    const raw = rest[2] as string
    const dash = raw.lastIndexOf('-')
    if (dash <= 0) return undefined
    name = ipamBlockName(`${raw.slice(0, dash)}/${raw.slice(dash + 1)}`)
  } else {
    const namespaced = l.store === 'kubernetes' || (l.store === 'calico-v3' && l.namespaced)
    if (rest.length !== (namespaced ? 2 : 1) || rest.some((p) => p === '')) return undefined
    name = rest[rest.length - 1] as string
    namespace = namespaced ? rest[0] : undefined
  }
  const modelKey = keyToString({ kind, name, ...(namespace !== undefined && { namespace }) })
  return { name, namespace, modelKey }
}

/**
 * Parses one etcd key/value of `kind` (found under `etcdPrefixFor(kind)`). Bad JSON or a value
 * that fails validation gives `ok: false` with the model key (when the etcd key itself is valid)
 * so the driver can treat the key as absent.
 */
export function parseEtcdKv(
  kind: ResourceKind,
  etcdKey: string,
  value: string,
  modRevision: string
): EtcdParse {
  const id = identify(kind, etcdKey)
  if (id === undefined)
    return { ok: false, key: undefined, error: `unexpected key layout for ${kind}` }
  let json: unknown
  try {
    json = JSON.parse(value)
  } catch (err) {
    return {
      ok: false,
      key: id.modelKey,
      error: `value is not valid JSON (${(err as Error).message})`,
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, key: id.modelKey, error: 'value is not a JSON object' }
  }
  const o = json as Record<string, unknown>
  const metaIn = typeof o['metadata'] === 'object' && o['metadata'] !== null ? o['metadata'] : {}
  const metadata = {
    ...metaIn,
    name: id.name,
    ...(id.namespace !== undefined && { namespace: id.namespace }),
    resourceVersion: modRevision,
  }
  const l = layoutOf(kind)
  let resource: Resource
  if (l.store === 'kubernetes') {
    const res = fromKubernetes(l.plural, { ...o, metadata })
    if (!res.ok) return { ok: false, key: id.modelKey, error: res.error }
    const first = res.resources[0]
    if (first === undefined)
      return { ok: false, key: id.modelKey, error: 'value converts to nothing' }
    resource = first
  } else {
    const input =
      l.store === 'ipam-block'
        ? { apiVersion: CALICO_API_VERSION, kind, metadata, spec: o }
        : { apiVersion: CALICO_API_VERSION, kind, ...o, metadata }
    const res = parseResource(input, {
      expectKind: kind as Exclude<
        ResourceKind,
        'Service' | 'Endpoints' | 'Secret' | 'RemoteClusterStatus'
      >,
    })
    if (!res.ok) return { ok: false, key: id.modelKey, error: res.error }
    resource = res.resource
  }
  const key = keyToString(keyOf(resource))
  if (key !== id.modelKey)
    return { ok: false, key: id.modelKey, error: `value is a ${resource.kind}, expected ${kind}` }
  return { ok: true, key, resource }
}

/**
 * The API resources the test API server serves: one row per (group, version, plural), with what
 * discovery needs (kind, singular name, short names, scope, verbs). Adding a row is all it takes
 * to serve another resource. Kinds defined by CustomResourceDefinitions at run time are added
 * per server by crd-resources.ts (a {@link ResourceRegistry} over this table).
 */
import { AUTH_RESOURCES } from './auth-resources.js'
import { WORKLOAD_RESOURCES } from './workload-resources.js'

/** One served API resource. */
export interface ServedResource {
  /** API group; `''` for the core group. */
  readonly group: string
  readonly version: string
  /** Plural resource name, e.g. `pods`. */
  readonly plural: string
  readonly singular: string
  readonly kind: string
  readonly namespaced: boolean
  readonly shortNames?: readonly string[]
  /** True when a `/status` subresource is served. */
  readonly status?: boolean
  /** Verbs served, when not all of {@link RESOURCE_VERBS} (e.g. create-only reviews). */
  readonly verbs?: readonly string[]
  /** The CustomResourceDefinition that serves it, for kinds registered at run time. */
  readonly crd?: string
}

/** What the server serves right now: the static table plus kinds registered at run time. */
export interface ResourceRegistry {
  /** Every served resource, static ones first. */
  all(): readonly ServedResource[]
  /** A served resource by its id (`pods`, `certificates.cert-manager.io`), any version. */
  find(id: string): ServedResource | undefined
  /** A served resource by group, version and plural. */
  lookup(group: string, version: string, plural: string): ServedResource | undefined
}

/** Verbs every served resource supports. */
export const RESOURCE_VERBS = [
  'create',
  'delete',
  'get',
  'list',
  'patch',
  'update',
  'watch',
] as const

const core = (
  plural: string,
  kind: string,
  namespaced: boolean,
  shortNames?: readonly string[],
  status?: boolean
): ServedResource => ({
  group: '',
  version: 'v1',
  plural,
  singular: kind.toLowerCase(),
  kind,
  namespaced,
  ...(shortNames !== undefined && { shortNames }),
  ...(status !== undefined && { status }),
})

const calico = (
  group: 'crd.projectcalico.org' | 'projectcalico.org',
  plural: string,
  kind: string,
  namespaced: boolean
): ServedResource => ({
  group,
  version: group === 'projectcalico.org' ? 'v3' : 'v1',
  plural,
  singular: kind.toLowerCase(),
  kind,
  namespaced,
})

const CALICO_KINDS: readonly (readonly [string, string, boolean])[] = [
  ['ippools', 'IPPool', false],
  ['ipamblocks', 'IPAMBlock', false],
  ['blockaffinities', 'BlockAffinity', false],
  ['hostendpoints', 'HostEndpoint', false],
  ['remoteclusterconfigurations', 'RemoteClusterConfiguration', false],
  ['networkpolicies', 'NetworkPolicy', true],
  ['globalnetworkpolicies', 'GlobalNetworkPolicy', false],
  ['tiers', 'Tier', false],
  ['networksets', 'NetworkSet', true],
  ['globalnetworksets', 'GlobalNetworkSet', false],
  ['profiles', 'Profile', false],
  ['felixconfigurations', 'FelixConfiguration', false],
  ['clusterinformations', 'ClusterInformation', false],
]

/** Every resource the server serves. */
export const SERVED_RESOURCES: readonly ServedResource[] = [
  core('pods', 'Pod', true, ['po'], true),
  core('namespaces', 'Namespace', false, ['ns'], true),
  core('serviceaccounts', 'ServiceAccount', true, ['sa']),
  core('nodes', 'Node', false, ['no'], true),
  core('services', 'Service', true, ['svc'], true),
  core('endpoints', 'Endpoints', true, ['ep']),
  core('secrets', 'Secret', true),
  core('configmaps', 'ConfigMap', true, ['cm']),
  core('events', 'Event', true, ['ev']),
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    plural: 'leases',
    singular: 'lease',
    kind: 'Lease',
    namespaced: true,
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    singular: 'endpointslice',
    kind: 'EndpointSlice',
    namespaced: true,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    singular: 'networkpolicy',
    kind: 'NetworkPolicy',
    namespaced: true,
    shortNames: ['netpol'],
  },
  ...CALICO_KINDS.map(([p, k, n]) => calico('crd.projectcalico.org', p, k, n)),
  ...CALICO_KINDS.map(([p, k, n]) => calico('projectcalico.org', p, k, n)),
  ...AUTH_RESOURCES,
  ...WORKLOAD_RESOURCES,
]

/** `apiVersion` string of a resource (`v1` or `group/version`). */
export const apiVersionOf = (r: Pick<ServedResource, 'group' | 'version'>): string =>
  r.group === '' ? r.version : `${r.group}/${r.version}`

/** Stable id of a resource: `plural` for core, `plural.group` otherwise (kubectl's spelling). */
export const resourceId = (r: Pick<ServedResource, 'group' | 'plural'>): string =>
  r.group === '' ? r.plural : `${r.plural}.${r.group}`

const BY_ID = new Map(SERVED_RESOURCES.map((r) => [resourceId(r), r]))

/** Finds a served resource by its id (`pods`, `ippools.crd.projectcalico.org`). */
export function findResource(id: string): ServedResource | undefined {
  return BY_ID.get(id)
}

/** Finds a served resource by group, version and plural. */
export function lookupResource(
  group: string,
  version: string,
  plural: string
): ServedResource | undefined {
  const r = BY_ID.get(group === '' ? plural : `${plural}.${group}`)
  return r?.version === version ? r : undefined
}

/** The static table as a registry (nothing registered at run time). */
export const STATIC_REGISTRY: ResourceRegistry = {
  all: () => SERVED_RESOURCES,
  find: findResource,
  lookup: lookupResource,
}

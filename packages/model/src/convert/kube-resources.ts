/**
 * The Kubernetes API resources the Kubernetes driver lists and watches, and which model kinds
 * each produces. The driver loops over {@link KUBE_RESOURCES}; `fromKubernetes` converts one object.
 *
 * Names are the API plurals, except `calico-networkpolicies` (the Calico CRD
 * `networkpolicies.crd.projectcalico.org`), which would otherwise clash with Kubernetes'
 * `networkpolicies.networking.k8s.io`. Workload endpoints and profiles have no CRD in a Kubernetes
 * datastore: they come from pods, namespaces and service accounts.
 */
import type { ResourceKind } from '../resources.js'

/** One API resource. */
export interface KubeResourceInfo {
  /** API group; `''` for core. */
  readonly group: string
  readonly version: string
  /** URL plural (`pods`, `networkpolicies`). */
  readonly plural: string
  /** The object `kind` (`Pod`, `IPPool`). */
  readonly kind: string
  readonly namespaced: boolean
  /** Model kinds its conversion can produce. */
  readonly producesKinds: readonly ResourceKind[]
}

/** `crd.projectcalico.org` API group. */
export const CALICO_CRD_GROUP = 'crd.projectcalico.org'

const core = (
  plural: string,
  kind: string,
  namespaced: boolean,
  produces: ResourceKind
): KubeResourceInfo => ({
  group: '',
  version: 'v1',
  plural,
  kind,
  namespaced,
  producesKinds: [produces],
})

const crd = (
  plural: string,
  kind: string,
  namespaced: boolean,
  produces: ResourceKind
): KubeResourceInfo => ({
  group: CALICO_CRD_GROUP,
  version: 'v1',
  plural,
  kind,
  namespaced,
  producesKinds: [produces],
})

/** Every resource the Kubernetes driver may read, keyed by {@link KubeResourceType}. */
export const KUBE_RESOURCES = {
  pods: core('pods', 'Pod', true, 'WorkloadEndpoint'),
  namespaces: core('namespaces', 'Namespace', false, 'Profile'),
  serviceaccounts: core('serviceaccounts', 'ServiceAccount', true, 'Profile'),
  nodes: core('nodes', 'Node', false, 'Node'),
  services: core('services', 'Service', true, 'Service'),
  endpoints: core('endpoints', 'Endpoints', true, 'Endpoints'),
  secrets: core('secrets', 'Secret', true, 'Secret'),
  networkpolicies: {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
    producesKinds: ['NetworkPolicy'],
  },
  ippools: crd('ippools', 'IPPool', false, 'IPPool'),
  ipamblocks: crd('ipamblocks', 'IPAMBlock', false, 'IPAMBlock'),
  hostendpoints: crd('hostendpoints', 'HostEndpoint', false, 'HostEndpoint'),
  remoteclusterconfigurations: crd(
    'remoteclusterconfigurations',
    'RemoteClusterConfiguration',
    false,
    'RemoteClusterConfiguration'
  ),
  globalnetworkpolicies: crd(
    'globalnetworkpolicies',
    'GlobalNetworkPolicy',
    false,
    'GlobalNetworkPolicy'
  ),
  'calico-networkpolicies': crd('networkpolicies', 'NetworkPolicy', true, 'NetworkPolicy'),
  tiers: crd('tiers', 'Tier', false, 'Tier'),
  networksets: crd('networksets', 'NetworkSet', true, 'NetworkSet'),
  globalnetworksets: crd('globalnetworksets', 'GlobalNetworkSet', false, 'GlobalNetworkSet'),
} as const satisfies Record<string, KubeResourceInfo>

/** The API resources `fromKubernetes` converts (see {@link KUBE_RESOURCES}). */
export type KubeResourceType = keyof typeof KUBE_RESOURCES

/** Every {@link KubeResourceType}, in a stable order. */
export const KUBE_RESOURCE_TYPES = Object.keys(KUBE_RESOURCES) as readonly KubeResourceType[]

/** The resource types to watch so that `kinds` are produced. */
export function kubeResourcesFor(kinds: ReadonlySet<ResourceKind>): KubeResourceType[] {
  return KUBE_RESOURCE_TYPES.filter((t) =>
    (KUBE_RESOURCES[t].producesKinds as readonly ResourceKind[]).some((k) => kinds.has(k))
  )
}

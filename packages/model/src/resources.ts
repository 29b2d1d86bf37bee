/**
 * Calico v3 resource shapes that the mesh carries (as stored in etcd or converted from Kubernetes),
 * plus the ephemeral RemoteClusterStatus. Only the fields cattail reads are typed; unknown fields
 * are tolerated on input and dropped by conversions.
 */

/** Object metadata common to every resource. */
export interface ObjectMeta {
  readonly name: string
  readonly namespace?: string
  readonly uid?: string
  readonly resourceVersion?: string
  readonly creationTimestamp?: string
  readonly labels?: Readonly<Record<string, string>>
  readonly annotations?: Readonly<Record<string, string>>
}

/** Every resource kind that travels through a syncer. */
export type ResourceKind =
  | 'WorkloadEndpoint'
  | 'HostEndpoint'
  | 'Profile'
  | 'Node'
  | 'IPPool'
  | 'IPAMBlock'
  | 'NetworkPolicy'
  | 'GlobalNetworkPolicy'
  | 'Tier'
  | 'NetworkSet'
  | 'GlobalNetworkSet'
  | 'RemoteClusterConfiguration'
  | 'RemoteClusterStatus'
  | 'Service'
  | 'Endpoints'
  | 'Secret'

/** Kinds whose objects live in a namespace. */
export const NAMESPACED_KINDS: ReadonlySet<ResourceKind> = new Set<ResourceKind>([
  'WorkloadEndpoint',
  'NetworkPolicy',
  'NetworkSet',
  'Service',
  'Endpoints',
  'Secret',
])

/** Every kind, in a stable order. */
export const RESOURCE_KINDS: readonly ResourceKind[] = [
  'WorkloadEndpoint',
  'HostEndpoint',
  'Profile',
  'Node',
  'IPPool',
  'IPAMBlock',
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'Tier',
  'NetworkSet',
  'GlobalNetworkSet',
  'RemoteClusterConfiguration',
  'RemoteClusterStatus',
  'Service',
  'Endpoints',
  'Secret',
]

interface Base<K extends ResourceKind, S> {
  readonly kind: K
  readonly metadata: ObjectMeta
  readonly spec: S
}

/** A named port on an endpoint. */
export interface EndpointPort {
  readonly name: string
  readonly protocol: 'TCP' | 'UDP' | 'SCTP'
  readonly port: number
}

/** `projectcalico.org/v3` WorkloadEndpoint (a pod's interface). */
export type WorkloadEndpoint = Base<
  'WorkloadEndpoint',
  {
    readonly orchestrator: string
    readonly workload?: string
    /** Node name; `<cluster>/<node>` for remote endpoints. */
    readonly node: string
    readonly containerID?: string
    readonly pod?: string
    readonly endpoint: string
    readonly serviceAccountName?: string
    /** CIDRs, e.g. `198.19.1.5/32`. */
    readonly ipNetworks: readonly string[]
    /** Profile ids, e.g. `kns.default`, `ksa.default.sa`; `<cluster>/kns.default` for remote ones. */
    readonly profiles: readonly string[]
    readonly interfaceName?: string
    readonly mac?: string
    readonly ports?: readonly EndpointPort[]
  }
>

/** `projectcalico.org/v3` HostEndpoint. */
export type HostEndpoint = Base<
  'HostEndpoint',
  {
    readonly node: string
    readonly interfaceName?: string
    readonly expectedIPs: readonly string[]
    readonly profiles: readonly string[]
    readonly ports?: readonly EndpointPort[]
  }
>

/** `projectcalico.org/v3` Profile; only the labels travel across clusters. */
export type Profile = Base<
  'Profile',
  {
    /** Labels given to every endpoint that references the profile. */
    readonly labelsToApply: Readonly<Record<string, string>>
    /** Ingress rules (local profiles only; remote profiles carry labels alone). */
    readonly ingress?: readonly PolicyRule[]
    /** Egress rules (local profiles only). */
    readonly egress?: readonly PolicyRule[]
  }
>

/** `projectcalico.org/v3` Node: addresses the VXLAN overlay needs. */
export type CalicoNode = Base<
  'Node',
  {
    readonly bgp?: { readonly ipv4Address?: string; readonly ipv6Address?: string }
    readonly ipv4VXLANTunnelAddr?: string
    readonly vxlanTunnelMACAddr?: string
    readonly ipv6VXLANTunnelAddr?: string
    readonly vxlanTunnelMACAddrV6?: string
  }
>

/** Encapsulation mode of an IP pool. */
export type EncapMode = 'Always' | 'CrossSubnet' | 'Never'

/** `projectcalico.org/v3` IPPool. */
export type IPPool = Base<
  'IPPool',
  {
    readonly cidr: string
    readonly vxlanMode: EncapMode
    readonly ipipMode: EncapMode
    readonly natOutgoing: boolean
    readonly disabled: boolean
    readonly blockSize?: number
    readonly nodeSelector?: string
    readonly allowedUses?: readonly ('Workload' | 'Tunnel' | 'LoadBalancer')[]
  }
>

/** Attributes of an IPAM allocation (`secondary.node` names the owner of a borrowed IP). */
export interface AllocationAttribute {
  readonly handle_id?: string
  readonly secondary?: Readonly<Record<string, string>>
}

/** IPAM block (`crd.projectcalico.org/v1` IPAMBlock spec). */
export type IPAMBlock = Base<
  'IPAMBlock',
  {
    readonly cidr: string
    /** `host:<node>` (`host:<cluster>/<node>` for remote blocks), or undefined. */
    readonly affinity?: string
    /** One entry per address in the block: index into `attributes`, or null when free. */
    readonly allocations: readonly (number | null)[]
    readonly unallocated: readonly number[]
    readonly attributes: readonly AllocationAttribute[]
    readonly strictAffinity?: boolean
    readonly deleted?: boolean
  }
>

/** A port or port range in a policy rule. */
export type PolicyPort = number | string

/** Source or destination of a policy rule. */
export interface EntityRule {
  readonly nets?: readonly string[]
  readonly notNets?: readonly string[]
  readonly selector?: string
  readonly notSelector?: string
  readonly namespaceSelector?: string
  readonly ports?: readonly PolicyPort[]
  readonly notPorts?: readonly PolicyPort[]
  readonly serviceAccounts?: { readonly names?: readonly string[]; readonly selector?: string }
}

/** One policy rule. */
export interface PolicyRule {
  readonly action: 'Allow' | 'Deny' | 'Log' | 'Pass'
  readonly protocol?: string | number
  readonly notProtocol?: string | number
  readonly ipVersion?: 4 | 6
  readonly icmp?: { readonly type?: number; readonly code?: number }
  readonly notICMP?: { readonly type?: number; readonly code?: number }
  readonly source?: EntityRule
  readonly destination?: EntityRule
}

/** Spec shared by NetworkPolicy and GlobalNetworkPolicy. */
export interface PolicySpec {
  readonly tier?: string
  readonly order?: number
  readonly selector?: string
  readonly namespaceSelector?: string
  readonly types?: readonly ('Ingress' | 'Egress')[]
  readonly ingress?: readonly PolicyRule[]
  readonly egress?: readonly PolicyRule[]
}

/** `projectcalico.org/v3` NetworkPolicy (namespaced). Also the target of Kubernetes NetworkPolicy conversion. */
export type NetworkPolicy = Base<'NetworkPolicy', PolicySpec>

/** `projectcalico.org/v3` GlobalNetworkPolicy. */
export type GlobalNetworkPolicy = Base<'GlobalNetworkPolicy', PolicySpec>

/** `projectcalico.org/v3` Tier. */
export type Tier = Base<
  'Tier',
  { readonly order?: number; readonly defaultAction?: 'Deny' | 'Pass' }
>

/** Spec of NetworkSet and GlobalNetworkSet: the CIDRs that join rule selectors matching its labels. */
export interface NetworkSetSpec {
  /** CIDRs or addresses, either family. */
  readonly nets: readonly string[]
}

/** `projectcalico.org/v3` NetworkSet (namespaced). */
export type NetworkSet = Base<'NetworkSet', NetworkSetSpec>

/** `projectcalico.org/v3` GlobalNetworkSet. */
export type GlobalNetworkSet = Base<'GlobalNetworkSet', NetworkSetSpec>

/** `overlayRoutingMode` of an RCC. */
export type OverlayRoutingMode = 'Enabled' | 'Disabled'

/** `projectcalico.org/v3` RemoteClusterConfiguration spec (see DESIGN.md, the user contract). */
export interface RemoteClusterConfigurationSpec {
  readonly datastoreType?: 'kubernetes' | 'etcdv3'
  readonly clusterAccessSecret?: {
    readonly kind?: string
    readonly name: string
    readonly namespace?: string
  }
  readonly etcdEndpoints?: string
  readonly etcdUsername?: string
  readonly etcdPassword?: string
  readonly etcdKeyFile?: string
  readonly etcdCertFile?: string
  readonly etcdCACertFile?: string
  readonly kubeconfig?: string
  readonly kubeconfigInline?: string
  readonly k8sAPIEndpoint?: string
  readonly k8sKeyFile?: string
  readonly k8sCertFile?: string
  readonly k8sCAFile?: string
  readonly k8sAPIToken?: string
  readonly k8sInsecureSkipTLSVerify?: boolean
  readonly syncOptions?: { readonly overlayRoutingMode?: OverlayRoutingMode }
}

/** `projectcalico.org/v3` RemoteClusterConfiguration (cluster-scoped). */
export type RemoteClusterConfiguration = Base<
  'RemoteClusterConfiguration',
  RemoteClusterConfigurationSpec
>

/** Connection state of one remote cluster (Calico's names). */
export type RemoteClusterState =
  'Connecting' | 'ConnectionFailed' | 'ResyncInProgress' | 'InSync' | 'ConfigIncomplete'

/** Value of the gauge `remote_cluster_connection_status` for each state (Calico's numbering). */
export const REMOTE_CLUSTER_STATE_GAUGE: Readonly<Record<RemoteClusterState, number>> = {
  ConnectionFailed: 0,
  Connecting: 1,
  InSync: 2,
  ResyncInProgress: 3,
  ConfigIncomplete: 5,
}

/** Ephemeral status of a remote cluster connection; name = RCC name. Never stored in a datastore. */
export type RemoteClusterStatus = Base<
  'RemoteClusterStatus',
  {
    readonly status: RemoteClusterState
    readonly error?: string
    /** Remote objects refused so far, by reason (`overlaps-node-address`, `object-limit` …). */
    readonly rejected?: Readonly<Record<string, number>>
    /** The most recent refusal, as a sentence. */
    readonly lastRejection?: string
    /**
     * Names of this remote's nodes whose VXLAN tunnel MAC collides with a node of another cluster
     * of the same name (both derive the MAC from the name); fix: publish `vxlanTunnelMACAddr` on
     * one of them.
     */
    readonly vtepMacConflicts?: readonly string[]
  }
>

/** A Kubernetes Service port (core/v1). */
export interface ServicePort {
  readonly name?: string
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP'
  readonly port: number
  readonly targetPort?: number | string
}

/** Kubernetes core/v1 Service, as the federation controller needs it. */
export type Service = Base<
  'Service',
  {
    readonly selector?: Readonly<Record<string, string>>
    readonly ports?: readonly ServicePort[]
    readonly clusterIP?: string
    readonly type?: string
  }
>

/** An address in an Endpoints subset. */
export interface EndpointAddress {
  readonly ip: string
  readonly hostname?: string
  readonly nodeName?: string
  readonly targetRef?: {
    readonly kind?: string
    readonly name?: string
    readonly namespace?: string
    readonly uid?: string
  }
}

/** Kubernetes core/v1 Endpoints. `spec` holds the subsets (Kubernetes keeps them at top level). */
export type Endpoints = Base<
  'Endpoints',
  {
    readonly subsets: readonly {
      readonly addresses?: readonly EndpointAddress[]
      readonly notReadyAddresses?: readonly EndpointAddress[]
      readonly ports?: readonly {
        readonly name?: string
        readonly port: number
        readonly protocol?: string
      }[]
    }[]
  }
>

/** Kubernetes core/v1 Secret; `spec.data` holds the decoded (utf-8) values. */
export type Secret = Base<'Secret', { readonly data: Readonly<Record<string, string>> }>

/** Any resource that flows through a syncer. Switch on `kind` and end with `assertNever`. */
export type Resource =
  | WorkloadEndpoint
  | HostEndpoint
  | Profile
  | CalicoNode
  | IPPool
  | IPAMBlock
  | NetworkPolicy
  | GlobalNetworkPolicy
  | Tier
  | NetworkSet
  | GlobalNetworkSet
  | RemoteClusterConfiguration
  | RemoteClusterStatus
  | Service
  | Endpoints
  | Secret

/** The resource type for a given kind. */
export type ResourceOfKind<K extends ResourceKind> = Extract<Resource, { kind: K }>

/**
 * Names and shapes of the federation calc: the annotations and labels of the user contract (Calico
 * Enterprise's federated services), the normalised view of a backing Service and its endpoints,
 * and the Kubernetes objects the controller writes. Pure: constants and types only.
 */
import { LABEL_NAMESPACE } from '@cattail/model'

/** Annotation that makes a Service federated; its value is a Calico selector over Services. */
export const SERVICE_SELECTOR_ANNOTATION = 'federation.tigera.io/serviceSelector'
/** Implicit label every remote Service carries (value: the RCC name). */
export const REMOTE_CLUSTER_LABEL = 'federation.tigera.io/remoteClusterName'
/** Implicit label with the Service's namespace (Calico ANDs it into every federated selector). */
export const NAMESPACE_LABEL = LABEL_NAMESPACE
/** Label of every object the controller writes; with {@link MANAGED_BY_VALUE} it marks ownership. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by'
/** Value of {@link MANAGED_BY_LABEL} on objects cattail wrote. */
export const MANAGED_BY_VALUE = 'cattail'
/** Label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'
/** Annotation Kubernetes sets on an Endpoints object cut at {@link MAX_ENDPOINTS_ADDRESSES}. */
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity'
/** Most addresses (ready + not ready) one Endpoints object holds, as in Kubernetes. */
export const MAX_ENDPOINTS_ADDRESSES = 1000
/** Most endpoints per EndpointSlice (the Kubernetes controller's default). */
export const MAX_SLICE_ENDPOINTS = 100

/** A port protocol. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP'

/** A backend port: name ('' when unnamed), protocol and the backend's port number. */
export interface BackendPort {
  readonly name: string
  readonly protocol: Protocol
  readonly port: number
}

/** Reference from an address to the object behind it (a pod). */
export interface TargetRef {
  readonly kind?: string
  readonly name?: string
  readonly namespace?: string
  readonly uid?: string
}

/** One backend address. */
export interface BackendAddress {
  readonly ip: string
  readonly ready: boolean
  readonly hostname?: string
  readonly nodeName?: string
  readonly targetRef?: TargetRef
}

/** Addresses that share one set of ports (an Endpoints subset or an EndpointSlice). */
export interface BackendGroup {
  readonly ports: readonly BackendPort[]
  readonly addresses: readonly BackendAddress[]
}

/** A Service as the calc needs it (local or remote). */
export interface ServiceInfo {
  /** RCC name of the cluster it lives in; '' for the local cluster. */
  readonly cluster: string
  readonly namespace: string
  readonly name: string
  readonly uid?: string
  readonly labels: Readonly<Record<string, string>>
  readonly annotations: Readonly<Record<string, string>>
  /** True when `spec.selector` is set (non-empty). */
  readonly hasSpecSelector: boolean
  /** Ports of the Service: name ('' when unnamed) and protocol. */
  readonly ports: readonly { readonly name: string; readonly protocol: Protocol }[]
}

/** A backing Service with its endpoints. */
export interface Backing {
  readonly service: ServiceInfo
  readonly groups: readonly BackendGroup[]
}

/** What the calc reads: the Services of one namespace in every cluster, and their endpoints. */
export interface BackingView {
  /** Every Service in namespace `ns`, local and remote, in any order. */
  servicesIn(ns: string): Iterable<ServiceInfo>
  /** Endpoints of a Service (slices, or its Endpoints where it has none). */
  groupsOf(svc: ServiceInfo): readonly BackendGroup[]
}

/** A v1 EndpointAddress as written. */
export interface EndpointAddressJson {
  ip: string
  hostname?: string
  nodeName?: string
  targetRef?: TargetRef
}

/** A v1 Endpoints subset as written. */
export interface EndpointSubsetJson {
  addresses?: EndpointAddressJson[]
  notReadyAddresses?: EndpointAddressJson[]
  ports?: BackendPort[]
}

/** Metadata the controller sets on what it writes. */
export interface WrittenMeta {
  name: string
  namespace: string
  labels: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: {
    apiVersion: string
    kind: string
    name: string
    uid: string
    controller: boolean
    blockOwnerDeletion: boolean
  }[]
}

/** The v1 Endpoints object of a federated Service. */
export interface EndpointsJson {
  apiVersion: 'v1'
  kind: 'Endpoints'
  metadata: WrittenMeta
  subsets: EndpointSubsetJson[]
}

/** One endpoint of a discovery.k8s.io/v1 EndpointSlice. */
export interface SliceEndpointJson {
  addresses: string[]
  conditions: { ready: boolean; serving: boolean; terminating: boolean }
  hostname?: string
  nodeName?: string
  targetRef?: TargetRef
}

/** A discovery.k8s.io/v1 EndpointSlice of a federated Service. */
export interface EndpointSliceJson {
  apiVersion: 'discovery.k8s.io/v1'
  kind: 'EndpointSlice'
  metadata: WrittenMeta
  addressType: 'IPv4' | 'IPv6'
  endpoints: SliceEndpointJson[]
  ports: BackendPort[]
}

/** Everything the controller writes for one federated Service. */
export interface FederatedObjects {
  readonly endpoints: EndpointsJson
  readonly slices: readonly EndpointSliceJson[]
  /** Backing Services used, as `<cluster or ''>/<name>`, in order. */
  readonly backing: readonly string[]
  /** Addresses in the slices (ready + not ready, after dedupe). */
  readonly addressCount: number
}

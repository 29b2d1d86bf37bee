/**
 * Minimal structural shapes of the Kubernetes objects cattail reads (core/v1, networking.k8s.io/v1,
 * discovery.k8s.io/v1). Only the fields cattail looks at are typed; everything is optional because
 * the input is untrusted JSON (conversions check what they use). Real objects from
 * @kubernetes/client-node are assignable to these shapes.
 */

/** `metadata` of any Kubernetes object (the parts cattail reads). */
export interface KubeObjectMeta {
  readonly name?: string
  readonly namespace?: string
  readonly uid?: string
  readonly resourceVersion?: string
  readonly creationTimestamp?: string | Date
  readonly deletionTimestamp?: string | Date
  readonly labels?: Readonly<Record<string, string>>
  readonly annotations?: Readonly<Record<string, string>>
}

/** Fields every Kubernetes object has. */
export interface KubeObject {
  readonly apiVersion?: string
  readonly kind?: string
  readonly metadata?: KubeObjectMeta
}

/** A container port (`spec.containers[].ports[]`). */
export interface KubeContainerPort {
  readonly name?: string
  readonly containerPort?: number
  readonly protocol?: string
  readonly hostPort?: number
}

/** core/v1 Pod. */
export interface KubePod extends KubeObject {
  readonly spec?: {
    readonly nodeName?: string
    readonly hostNetwork?: boolean
    readonly serviceAccountName?: string
    readonly containers?: readonly {
      readonly name?: string
      readonly ports?: readonly KubeContainerPort[]
    }[]
  }
  readonly status?: {
    readonly phase?: string
    readonly podIP?: string
    readonly podIPs?: readonly { readonly ip?: string }[]
  }
}

/** core/v1 Namespace. */
export type KubeNamespace = KubeObject

/** core/v1 ServiceAccount. */
export type KubeServiceAccount = KubeObject

/** core/v1 Node; the Calico addresses come from its annotations (see `NODE_ANNOTATIONS`). */
export interface KubeNode extends KubeObject {
  readonly spec?: { readonly podCIDR?: string; readonly podCIDRs?: readonly string[] }
  readonly status?: {
    readonly addresses?: readonly { readonly type?: string; readonly address?: string }[]
  }
}

/** A Service port (core/v1). */
export interface KubeServicePort {
  readonly name?: string
  readonly protocol?: string
  readonly port?: number
  readonly targetPort?: number | string
  readonly nodePort?: number
}

/** core/v1 Service. */
export interface KubeService extends KubeObject {
  readonly spec?: {
    readonly selector?: Readonly<Record<string, string>>
    readonly ports?: readonly KubeServicePort[]
    readonly clusterIP?: string
    readonly type?: string
  }
}

/** An address of an Endpoints subset (core/v1). */
export interface KubeEndpointAddress {
  readonly ip?: string
  readonly hostname?: string
  readonly nodeName?: string
  readonly targetRef?: {
    readonly kind?: string
    readonly name?: string
    readonly namespace?: string
    readonly uid?: string
  }
}

/** core/v1 Endpoints. */
export interface KubeEndpoints extends KubeObject {
  readonly subsets?: readonly {
    readonly addresses?: readonly KubeEndpointAddress[]
    readonly notReadyAddresses?: readonly KubeEndpointAddress[]
    readonly ports?: readonly {
      readonly name?: string
      readonly port?: number
      readonly protocol?: string
    }[]
  }[]
}

/** discovery.k8s.io/v1 EndpointSlice (written by the federation controller; not a syncer kind). */
export interface KubeEndpointSlice extends KubeObject {
  readonly addressType?: 'IPv4' | 'IPv6' | 'FQDN'
  readonly endpoints?: readonly {
    readonly addresses?: readonly string[]
    readonly conditions?: {
      readonly ready?: boolean
      readonly serving?: boolean
      readonly terminating?: boolean
    }
    readonly nodeName?: string
    readonly targetRef?: KubeEndpointAddress['targetRef']
  }[]
  readonly ports?: readonly {
    readonly name?: string
    readonly port?: number
    readonly protocol?: string
  }[]
}

/** core/v1 Secret; `data` values are base64, `stringData` plain. */
export interface KubeSecret extends KubeObject {
  readonly type?: string
  readonly data?: Readonly<Record<string, string>>
  readonly stringData?: Readonly<Record<string, string>>
}

/** metav1.LabelSelector. */
export interface KubeLabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>
  readonly matchExpressions?: readonly {
    readonly key?: string
    readonly operator?: string
    readonly values?: readonly string[]
  }[]
}

/** A peer of a Kubernetes NetworkPolicy rule. */
export interface KubeNetworkPolicyPeer {
  readonly podSelector?: KubeLabelSelector
  readonly namespaceSelector?: KubeLabelSelector
  readonly ipBlock?: { readonly cidr?: string; readonly except?: readonly string[] }
}

/** A port of a Kubernetes NetworkPolicy rule. */
export interface KubeNetworkPolicyPort {
  readonly protocol?: string
  readonly port?: number | string
  readonly endPort?: number
}

/** networking.k8s.io/v1 NetworkPolicy. */
export interface KubeNetworkPolicy extends KubeObject {
  readonly spec?: {
    readonly podSelector?: KubeLabelSelector
    readonly policyTypes?: readonly string[]
    readonly ingress?: readonly {
      readonly from?: readonly KubeNetworkPolicyPeer[]
      readonly ports?: readonly KubeNetworkPolicyPort[]
    }[]
    readonly egress?: readonly {
      readonly to?: readonly KubeNetworkPolicyPeer[]
      readonly ports?: readonly KubeNetworkPolicyPort[]
    }[]
  }
}

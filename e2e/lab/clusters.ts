/**
 * The e2e mesh as data: three clusters, their nodes, pods and pools, and the objects each
 * datastore holds. Addresses come from 198.18.0.0/15 only: nodes on the underlay 198.18.0.0/16,
 * pods in each cluster's pool inside 198.19.0.0/16.
 *
 *   cluster-a  Kubernetes datastore (test API server)   nodes a1, a2   pool 198.19.0.0/18
 *   cluster-b  etcd (Calico) + test API server (Services) nodes b1, b2   pool 198.19.64.0/18
 *   cluster-c  etcd, a small third cluster (A's other remote, data only)  pool 198.19.128.0/18
 *
 * Cluster A's objects are Kubernetes manifests (applied with real kubectl: Nodes with Calico's
 * annotations, Pods with the CNI's podIP annotation, Calico CRDs); B's and C's are Calico v3
 * resources written to etcd in Calico's layout.
 */
import type {
  CalicoNode,
  IPAMBlock,
  IPPool,
  Profile,
  Resource,
  WorkloadEndpoint,
} from '@cattail/model'
import { vethNameForPod } from '@cattail/model'

/** A pod in the lab. */
export interface E2ePod {
  /** Lab id (namespace suffix), unique across the mesh. */
  readonly id: string
  readonly name: string
  readonly namespace: string
  readonly ip: string
  readonly labels: Readonly<Record<string, string>>
  /** Host-side veth: Calico's `cali<hash>` name for Kubernetes pods. */
  readonly hostIface: string
}

/** A node in the lab with its pods (the first pod is the node's default lab pod). */
export interface E2eNode {
  readonly id: string
  readonly name: string
  readonly ip: string
  readonly tunnelIp: string
  readonly blockCidr: string
  readonly pods: readonly E2ePod[]
}

/** One cluster. */
export interface E2eCluster {
  readonly name: string
  readonly poolCidr: string
  readonly nodes: readonly E2eNode[]
}

/** The namespace the seed policy and its pods live in (in every cluster). */
export const APP_NS = 'shop'

/** A pod of the lab (its host-side veth named as Calico names it). */
export function e2ePod(
  id: string,
  name: string,
  ip: string,
  labels: Record<string, string>,
  namespace = APP_NS
): E2ePod {
  return { id, name, namespace, ip, labels, hostIface: vethNameForPod(namespace, name) }
}

/** Cluster A: Kubernetes datastore. a1 runs the backend, a2 a web pod. */
export const CLUSTER_A: E2eCluster = {
  name: 'cluster-a',
  poolCidr: '198.19.0.0/18',
  nodes: [
    {
      id: 'a1',
      name: 'a1',
      ip: '198.18.1.1',
      tunnelIp: '198.19.0.1',
      blockCidr: '198.19.0.0/26',
      pods: [e2ePod('a1p', 'backend', '198.19.0.2', { app: 'backend-app' })],
    },
    {
      id: 'a2',
      name: 'a2',
      ip: '198.18.1.2',
      tunnelIp: '198.19.0.65',
      blockCidr: '198.19.0.64/26',
      pods: [e2ePod('a2p', 'web', '198.19.0.66', { app: 'web' })],
    },
  ],
}

/** Cluster B: etcd datastore. b1 runs a pod labelled otherwise, b2 the postgres pod. */
export const CLUSTER_B: E2eCluster = {
  name: 'cluster-b',
  poolCidr: '198.19.64.0/18',
  nodes: [
    {
      id: 'b1',
      name: 'b1',
      ip: '198.18.2.1',
      tunnelIp: '198.19.64.1',
      blockCidr: '198.19.64.0/26',
      pods: [e2ePod('b1p', 'other', '198.19.64.2', { app: 'other' })],
    },
    {
      id: 'b2',
      name: 'b2',
      ip: '198.18.2.2',
      tunnelIp: '198.19.64.65',
      blockCidr: '198.19.64.64/26',
      pods: [e2ePod('b2p', 'postgres', '198.19.64.66', { app: 'postgres' })],
    },
  ],
}

/** Cluster C: data only (no lab namespaces); A routes to its block as to any remote. */
export const CLUSTER_C: E2eCluster = {
  name: 'cluster-c',
  poolCidr: '198.19.128.0/18',
  nodes: [
    {
      id: 'c1',
      name: 'c1',
      ip: '198.18.3.1',
      tunnelIp: '198.19.128.1',
      blockCidr: '198.19.128.0/26',
      pods: [e2ePod('c1p', 'cpod', '198.19.128.2', { app: 'cpod' })],
    },
  ],
}

/** Last octets of a /26 block: offset of `ip` inside `blockCidr`. */
function offsetIn(blockCidr: string, ip: string): number {
  const last = (s: string): number => Number(s.split('/')[0]!.split('.')[3])
  return last(ip) - last(blockCidr)
}

/** The block's allocation attributes: tunnel address first, then each pod. */
function blockSpec(n: E2eNode, pods: readonly E2ePod[]): IPAMBlock['spec'] {
  const allocations: (number | null)[] = new Array<number | null>(64).fill(null)
  allocations[offsetIn(n.blockCidr, n.tunnelIp)] = 0
  pods.forEach((p, i) => (allocations[offsetIn(n.blockCidr, p.ip)] = i + 1))
  const unallocated = allocations.flatMap((a, i) => (a === null ? [i] : []))
  return {
    cidr: n.blockCidr,
    affinity: `host:${n.name}`,
    allocations,
    unallocated,
    attributes: [
      {
        handle_id: `vxlan-tunnel-addr-${n.name}`,
        secondary: { node: n.name, type: 'vxlanTunnelAddress' },
      },
      ...pods.map((p) => ({
        handle_id: `k8s-pod-network.${p.name}`,
        secondary: { namespace: p.namespace, node: n.name, pod: p.name },
      })),
    ],
    strictAffinity: false,
  }
}

function poolSpec(cidr: string): IPPool['spec'] {
  return {
    cidr,
    vxlanMode: 'Always',
    ipipMode: 'Never',
    natOutgoing: true,
    disabled: false,
    blockSize: 26,
  }
}

/** IPAM block model name (Calico's: the CIDR with `.` and `/` as `-`). */
export const blockName = (cidr: string): string => cidr.replace(/[./]/g, '-')

/** A WorkloadEndpoint for `pod` on `node` (etcd clusters). */
export function workloadEndpoint(node: string, pod: E2ePod): WorkloadEndpoint {
  return {
    kind: 'WorkloadEndpoint',
    metadata: {
      name: `${node}-k8s-${pod.name}-eth0`,
      namespace: pod.namespace,
      labels: {
        ...pod.labels,
        'projectcalico.org/namespace': pod.namespace,
        'projectcalico.org/orchestrator': 'k8s',
      },
    },
    spec: {
      orchestrator: 'k8s',
      node,
      pod: pod.name,
      endpoint: 'eth0',
      ipNetworks: [`${pod.ip}/32`],
      profiles: [`kns.${pod.namespace}`],
      interfaceName: pod.hostIface,
    },
  }
}

/** An IPAM block of `node` holding `pods` (etcd clusters and the churn). */
export function ipamBlock(node: E2eNode, pods: readonly E2ePod[]): IPAMBlock {
  return {
    kind: 'IPAMBlock',
    metadata: { name: blockName(node.blockCidr) },
    spec: blockSpec(node, pods),
  }
}

/** Calico v3 resources of an etcd-backed cluster. */
export function calicoResources(c: E2eCluster): Resource[] {
  const out: Resource[] = [
    { kind: 'IPPool', metadata: { name: `${c.name}-pool` }, spec: poolSpec(c.poolCidr) },
    {
      kind: 'Profile',
      metadata: { name: `kns.${APP_NS}` },
      spec: { labelsToApply: { 'pcns.projectcalico.org/name': APP_NS } },
    } satisfies Profile,
  ]
  for (const n of c.nodes) {
    out.push({
      kind: 'Node',
      metadata: { name: n.name },
      spec: { bgp: { ipv4Address: `${n.ip}/16` }, ipv4VXLANTunnelAddr: n.tunnelIp },
    } satisfies CalicoNode)
    out.push(ipamBlock(n, n.pods))
    for (const p of n.pods) out.push(workloadEndpoint(n.name, p))
  }
  return out
}

/** A Kubernetes object as kubectl applies it. */
export type KubeManifest = Record<string, unknown>

/** Kubernetes manifests of a Kubernetes-backed cluster (cluster A). */
export function kubernetesManifests(c: E2eCluster): KubeManifest[] {
  const crd = (kind: string, name: string, spec: unknown): KubeManifest => ({
    apiVersion: 'crd.projectcalico.org/v1',
    kind,
    metadata: { name },
    spec,
  })
  const out: KubeManifest[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: APP_NS, labels: { 'kubernetes.io/metadata.name': APP_NS } },
    },
    crd('IPPool', `${c.name}-pool`, poolSpec(c.poolCidr)),
  ]
  for (const n of c.nodes) {
    out.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n.name,
        annotations: {
          'projectcalico.org/IPv4Address': `${n.ip}/16`,
          'projectcalico.org/IPv4VXLANTunnelAddr': n.tunnelIp,
        },
      },
      status: { addresses: [{ type: 'InternalIP', address: n.ip }] },
    })
    out.push(crd('IPAMBlock', blockName(n.blockCidr), blockSpec(n, n.pods)))
    for (const p of n.pods) out.push(podManifest(n.name, p))
  }
  return out
}

/** A Pod as the CNI leaves it: scheduled, running, its address in Calico's annotation. */
export function podManifest(node: string, p: E2ePod): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      labels: p.labels,
      annotations: { 'cni.projectcalico.org/podIP': `${p.ip}/32` },
    },
    spec: {
      nodeName: node,
      containers: [{ name: 'app', image: 'example.invalid/app:1', ports: [] }],
    },
    status: { phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }] },
  }
}

/**
 * The mesh the agent-memory benchmark's cache serves: N endpoints over 10 clusters (cluster 0
 * local, 1–9 remote, keys prefixed), their nodes (10 endpoints per node), one IP pool per cluster
 * and one /26 IPAM block per node. Values carry what a real datastore sends (annotations, uid,
 * status-like fields), and the pods of one Deployment share their labels, as in a real cluster.
 */
import type { KVUpdate, Resource } from '@cattail/model'

/** Clusters in the mesh (cluster 0 is the agent's own). */
export const CLUSTERS = 10
/** Endpoints per node. */
export const PER_NODE = 10
const TIERS = ['frontend', 'backend', 'db', 'cache', 'worker']

const ip4 = (n: number): string =>
  `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
const prefix = (c: number): string => (c === 0 ? '' : `c${c}/`)

/** Everything the cache serves: endpoints, nodes, pools, blocks of every cluster. */
export function* mesh(endpoints: number): Generator<KVUpdate> {
  const nodes = Math.ceil(endpoints / PER_NODE)
  let rev = 0
  const kv = (key: string, value: Resource): KVUpdate => ({ key, value, revision: String(++rev) })
  for (let c = 0; c < CLUSTERS; c++) {
    const cidr = `10.${c}.0.0/16`
    yield kv(`${prefix(c)}IPPool/default-ipv4-ippool`, {
      kind: 'IPPool',
      metadata: { name: 'default-ipv4-ippool', uid: `pool-${c}`, resourceVersion: '1' },
      spec: {
        cidr,
        vxlanMode: 'Always',
        ipipMode: 'Never',
        natOutgoing: true,
        disabled: false,
        blockSize: 26,
      },
    })
  }
  for (let n = 0; n < nodes; n++) {
    const c = n % CLUSTERS
    const name = `node-${n}`
    const base = (((10 << 24) | (c << 16)) >>> 0) + Math.floor(n / CLUSTERS) * 64
    yield kv(`${prefix(c)}Node/${name}`, {
      kind: 'Node',
      metadata: {
        name,
        uid: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
        resourceVersion: String(rev),
        creationTimestamp: '2026-11-01T00:00:00Z',
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' },
        annotations: { 'projectcalico.org/kube-labels': '{"kubernetes.io/os":"linux"}' },
      },
      spec: {
        bgp: { ipv4Address: `${ip4(((198 << 24) | (18 << 16) | (n + 2)) >>> 0)}/15` },
        ipv4VXLANTunnelAddr: ip4(base),
        vxlanTunnelMACAddr: `66:ca:${[24, 16, 8, 0].map((s) => ((n >>> s) & 255).toString(16).padStart(2, '0')).join(':')}`,
      },
    })
    const blockCidr = `${ip4(base)}/26`
    const allocations: (number | null)[] = Array.from({ length: 64 }, () => null)
    const attributes = [
      {
        handle_id: `vxlan-tunnel-addr-${name}`,
        secondary: { node: name, type: 'vxlanTunnelAddress' },
      },
    ]
    allocations[0] = 0
    for (let k = 1; k <= PER_NODE; k++) {
      allocations[k] = k
      attributes.push({ handle_id: `k8s-pod-network.${k}`, secondary: { node: name, type: 'pod' } })
    }
    yield kv(`${prefix(c)}IPAMBlock/${blockCidr.replace(/[./]/g, '-')}`, {
      kind: 'IPAMBlock',
      metadata: { name: blockCidr.replace(/[./]/g, '-'), resourceVersion: String(rev) },
      spec: {
        cidr: blockCidr,
        affinity: `host:${name}`,
        allocations,
        unallocated: Array.from({ length: 64 - PER_NODE - 1 }, (_, k) => PER_NODE + 1 + k),
        attributes,
        strictAffinity: false,
      },
    })
  }
  for (let i = 0; i < endpoints; i++) {
    const n = Math.floor(i / PER_NODE)
    const c = n % CLUSTERS
    const ns = `ns-${i % 200}`
    const node = `node-${n}`
    const hex = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0')
    // One Deployment per (app, namespace): its pods share the pod-template-hash, as in a cluster.
    const rs = (((i % 1000) * 2654435761) >>> 0).toString(16).padStart(10, '0')
    const name = `${node}-k8s-app--${i % 500}--${rs}--${hex.slice(0, 5)}-eth0`
    const base = (((10 << 24) | (c << 16)) >>> 0) + Math.floor(n / CLUSTERS) * 64
    yield kv(`${prefix(c)}WorkloadEndpoint/${ns}/${name}`, {
      kind: 'WorkloadEndpoint',
      metadata: {
        name,
        namespace: ns,
        uid: `${hex}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
        resourceVersion: String(rev),
        creationTimestamp: '2026-11-01T00:00:00Z',
        labels: {
          app: `app-${i % 500}`,
          tier: TIERS[i % TIERS.length]!,
          version: `v${i % 6}`,
          'pod-template-hash': rs,
          'projectcalico.org/namespace': ns,
          'projectcalico.org/orchestrator': 'k8s',
          'projectcalico.org/serviceaccount': 'default',
        },
        annotations: {
          'cni.projectcalico.org/containerID': `${hex}${hex}${hex}${hex}`,
          'cni.projectcalico.org/podIP': `${ip4(base + 1 + (i % PER_NODE))}/32`,
        },
      },
      spec: {
        orchestrator: 'k8s',
        node,
        containerID: `${hex}${hex}${hex}${hex}${hex}${hex}${hex}${hex}`,
        pod: `app-${i % 500}-${rs}-${hex.slice(0, 5)}`,
        endpoint: 'eth0',
        serviceAccountName: 'default',
        ipNetworks: [`${ip4(base + 1 + (i % PER_NODE))}/32`],
        profiles: [`kns.${ns}`, `ksa.${ns}.default`],
        interfaceName: `cali${hex}${hex.slice(0, 3)}`,
        mac: `ee:ee:ee:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`,
        ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
      },
    })
  }
}

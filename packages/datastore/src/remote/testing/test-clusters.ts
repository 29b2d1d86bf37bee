/**
 * Test helper: real clusters for the mesh syncer's tests, each filled with the same small data set
 * in its native form. A Kubernetes cluster is a @cattail/testapi server (pods, namespaces, nodes,
 * Calico CRDs); an etcd cluster is a real etcd with Calico's v3 layout. Not exported.
 *
 * Data set per cluster (`populate`): namespace/profile `kns.default`, pods p1 on n1 and p2 on n2
 * (workload endpoints), nodes n1 and n2, IP pool `pool1`, one IPAM block affine to n1, host
 * endpoint `h1` on n1, and one network policy (never read by remotes).
 */
import { Etcd3 } from 'etcd3'
import { startTestEtcd, type TestEtcd } from '@cattail/common/testing'
import {
  ipamBlockName,
  workloadEndpointName,
  type CalicoNode,
  type HostEndpoint,
  type IPAMBlock,
  type IPPool,
  type NetworkPolicy,
  type Profile,
  type Resource,
  type WorkloadEndpoint,
} from '@cattail/model'
import { startTestApiServer, type KubeObject, type TestApiServer } from '@cattail/testapi'
import { etcdKeyFor, etcdValueFor } from '../../etcd/layout.js'
import { resourceIdOf, toNative } from '../../kubernetes/testing/kube-harness.js'

/** One real cluster the tests can fill, break and point RCCs at. */
export interface TestCluster {
  readonly type: 'kubernetes' | 'etcdv3'
  /** Contents of a cluster access Secret that reaches this cluster. */
  secretData(): Record<string, string>
  /** Adds or replaces pod `pod` on `node` with `ip`; returns the workload endpoint's name. */
  putEndpoint(
    pod: string,
    node: string,
    ip: string,
    labels?: Record<string, string>
  ): Promise<string>
  removeEndpoint(pod: string, node: string): Promise<void>
  putNode(name: string, ip: string): Promise<void>
  /** Writes the standard data set (see the file comment). */
  populate(): Promise<void>
  /** Makes the server unreachable (keeps data). */
  kill(): Promise<void>
  restart(): Promise<void>
  stop(): Promise<void>
}

/** Model keys (without cluster) of the standard data set, by group. */
export const DATA_KEYS = {
  always: [
    'HostEndpoint/h1',
    'Profile/kns.default',
    `WorkloadEndpoint/default/${workloadEndpointName({ node: 'n1', pod: 'p1' })}`,
    `WorkloadEndpoint/default/${workloadEndpointName({ node: 'n2', pod: 'p2' })}`,
  ],
  overlay: [`IPAMBlock/${ipamBlockName('198.19.1.0/26')}`, 'IPPool/pool1', 'Node/n1', 'Node/n2'],
} as const

/** Expected keys of the data set as seen through remote `rcc`. */
export function expectedKeys(rcc: string, overlay: boolean): string[] {
  return [...DATA_KEYS.always, ...(overlay ? DATA_KEYS.overlay : [])]
    .map((k) => `${rcc}/${k}`)
    .sort()
}

const pool: IPPool = {
  kind: 'IPPool',
  metadata: { name: 'pool1' },
  spec: {
    cidr: '198.19.0.0/16',
    vxlanMode: 'Always',
    ipipMode: 'Never',
    natOutgoing: true,
    disabled: false,
    blockSize: 26,
  },
}
const block: IPAMBlock = {
  kind: 'IPAMBlock',
  metadata: { name: ipamBlockName('198.19.1.0/26') },
  spec: {
    cidr: '198.19.1.0/26',
    affinity: 'host:n1',
    allocations: [0, ...Array<null>(63).fill(null)],
    unallocated: [],
    attributes: [{ handle_id: 'h', secondary: { node: 'n1' } }],
  },
}
const hep: HostEndpoint = {
  kind: 'HostEndpoint',
  metadata: { name: 'h1', labels: { role: 'gw' } },
  spec: { node: 'n1', interfaceName: 'eth0', expectedIPs: ['198.18.0.1'], profiles: [] },
}
const netpol: NetworkPolicy = {
  kind: 'NetworkPolicy',
  metadata: { name: 'np', namespace: 'default' },
  spec: { selector: 'all()', types: ['Ingress'] },
}

/** A @cattail/testapi server as a cluster. */
export async function startKubeCluster(): Promise<TestCluster & { readonly api: TestApiServer }> {
  const api = await startTestApiServer({ bookmarkIntervalMs: 200 })
  const put = (id: string, o: KubeObject): void => {
    api.put(id, o)
  }
  const self = {
    type: 'kubernetes' as const,
    api,
    secretData: () => ({ datastoreType: 'kubernetes', kubeconfig: api.kubeconfig() }),
    putEndpoint: (pod: string, node: string, ip: string, labels: Record<string, string> = {}) => {
      put('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod, namespace: 'default', labels: { app: pod, ...labels } },
        spec: { nodeName: node, containers: [{ name: 'c' }] },
        status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
      })
      return Promise.resolve(workloadEndpointName({ node, pod }))
    },
    removeEndpoint: (pod: string) => {
      api.remove('pods', pod, 'default')
      return Promise.resolve()
    },
    putNode: (name: string, ip: string) => {
      put('nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          annotations: {
            'projectcalico.org/IPv4Address': `${ip}/24`,
            'projectcalico.org/IPv4VXLANTunnelAddr': ip.replace('198.18.', '198.19.'),
          },
        },
      })
      return Promise.resolve()
    },
    populate: async () => {
      put('namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'default' },
      })
      await self.putEndpoint('p1', 'n1', '198.19.1.1')
      await self.putEndpoint('p2', 'n2', '198.19.1.2')
      await self.putNode('n1', '198.18.0.1')
      await self.putNode('n2', '198.18.0.2')
      for (const r of [pool, block, hep]) put(resourceIdOf(r.kind), toNative(r))
      put('networkpolicies.networking.k8s.io', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'np', namespace: 'default' },
        spec: { podSelector: {} },
      })
      put(resourceIdOf('NetworkPolicy'), toNative(netpol))
    },
    kill: () => api.stop(),
    restart: () => api.restart(),
    stop: () => api.stop(),
  }
  return self
}

/** A real etcd with Calico's v3 layout as a cluster. */
export async function startEtcdCluster(): Promise<TestCluster & { readonly etcd: TestEtcd }> {
  const etcd = await startTestEtcd()
  const client = new Etcd3({ hosts: etcd.endpoint })
  const put = async (r: Resource): Promise<void> => {
    await client.put(etcdKeyFor(r)).value(etcdValueFor(r))
  }
  const wep = (
    pod: string,
    node: string,
    ip: string,
    labels: Record<string, string>
  ): WorkloadEndpoint => ({
    kind: 'WorkloadEndpoint',
    metadata: {
      name: workloadEndpointName({ node, pod }),
      namespace: 'default',
      labels: {
        app: pod,
        ...labels,
        'projectcalico.org/namespace': 'default',
        'projectcalico.org/orchestrator': 'k8s',
      },
    },
    spec: {
      orchestrator: 'k8s',
      node,
      pod,
      endpoint: 'eth0',
      ipNetworks: [`${ip}/32`],
      profiles: ['kns.default'],
      interfaceName: 'cali0123456789a',
    },
  })
  const node = (name: string, ip: string): CalicoNode => ({
    kind: 'Node',
    metadata: { name },
    spec: {
      bgp: { ipv4Address: `${ip}/24` },
      ipv4VXLANTunnelAddr: ip.replace('198.18.', '198.19.'),
    },
  })
  const profile: Profile = {
    kind: 'Profile',
    metadata: { name: 'kns.default' },
    spec: { labelsToApply: { 'projectcalico.org/name': 'default' } },
  }
  const self = {
    type: 'etcdv3' as const,
    etcd,
    secretData: () => ({ datastoreType: 'etcdv3', etcdEndpoints: etcd.endpoint }),
    putEndpoint: async (
      pod: string,
      node: string,
      ip: string,
      labels: Record<string, string> = {}
    ) => {
      const r = wep(pod, node, ip, labels)
      await put(r)
      return r.metadata.name
    },
    removeEndpoint: async (pod: string, n: string) => {
      await client.delete().key(etcdKeyFor(wep(pod, n, '198.19.0.1', {})))
    },
    putNode: (name: string, ip: string) => put(node(name, ip)),
    populate: async () => {
      await put(profile)
      await self.putEndpoint('p1', 'n1', '198.19.1.1')
      await self.putEndpoint('p2', 'n2', '198.19.1.2')
      await self.putNode('n1', '198.18.0.1')
      await self.putNode('n2', '198.18.0.2')
      for (const r of [pool, block, hep, netpol]) await put(r)
    },
    kill: () => etcd.kill(),
    restart: () => etcd.restart(),
    stop: async () => {
      client.close()
      await etcd.stop()
    },
  }
  return self
}

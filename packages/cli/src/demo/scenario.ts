/**
 * The demo's two clusters as data: "west" (the embedded file datastore) and "east" (a real etcd),
 * one node and one pod each, VXLAN pools, and west's RemoteClusterConfiguration for east.
 * Addresses come from 198.18.0.0/15 only (underlay 198.18.0.0/16, pods 198.19.0.0/16).
 */
import type {
  CalicoNode,
  IPAMBlock,
  IPPool,
  Profile,
  RemoteClusterConfiguration,
  Resource,
  WorkloadEndpoint,
} from '@cattail/model'
import type { LabNodeSpec } from '../lab/index.js'

/** One cluster of the demo. */
export interface DemoCluster {
  readonly name: string
  readonly node: string
  readonly lab: LabNodeSpec
  readonly poolCidr: string
  readonly blockCidr: string
  readonly tunnelIp: string
  readonly podName: string
  readonly resources: readonly Resource[]
}

function pool(name: string, cidr: string): IPPool {
  return {
    kind: 'IPPool',
    metadata: { name },
    spec: {
      cidr,
      vxlanMode: 'Always',
      ipipMode: 'Never',
      natOutgoing: true,
      disabled: false,
      blockSize: 26,
    },
  }
}

function node(name: string, nodeIp: string, tunnelIp: string): CalicoNode {
  return {
    kind: 'Node',
    metadata: { name },
    spec: { bgp: { ipv4Address: `${nodeIp}/16` }, ipv4VXLANTunnelAddr: tunnelIp },
  }
}

/** A /26 block with the tunnel address at .1 and the pod at .2. */
function block(cidr: string, nodeName: string, pod: string): IPAMBlock {
  const allocations: (number | null)[] = new Array<number | null>(64).fill(null)
  allocations[1] = 0
  allocations[2] = 1
  const unallocated = [0, ...Array.from({ length: 61 }, (_, i) => i + 3)]
  return {
    kind: 'IPAMBlock',
    metadata: { name: cidr.replace(/[./]/g, '-') },
    spec: {
      cidr,
      affinity: `host:${nodeName}`,
      allocations,
      unallocated,
      attributes: [
        {
          handle_id: `vxlan-tunnel-addr-${nodeName}`,
          secondary: { node: nodeName, type: 'vxlanTunnelAddress' },
        },
        {
          handle_id: `k8s-pod-network.${pod}`,
          secondary: { namespace: 'demo', node: nodeName, pod },
        },
      ],
      strictAffinity: false,
    },
  }
}

function profile(): Profile {
  return {
    kind: 'Profile',
    metadata: { name: 'kns.demo' },
    spec: { labelsToApply: { 'pcns.projectcalico.org/name': 'demo' } },
  }
}

function pod(nodeName: string, podName: string, ip: string, app: string): WorkloadEndpoint {
  return {
    kind: 'WorkloadEndpoint',
    metadata: {
      name: `${nodeName}-k8s-${podName}-eth0`,
      namespace: 'demo',
      labels: {
        app,
        'projectcalico.org/namespace': 'demo',
        'projectcalico.org/orchestrator': 'k8s',
      },
    },
    spec: {
      orchestrator: 'k8s',
      node: nodeName,
      pod: podName,
      endpoint: 'eth0',
      ipNetworks: [`${ip}/32`],
      profiles: ['kns.demo'],
      interfaceName: 'cali0',
    },
  }
}

function cluster(
  name: string,
  id: string,
  nodeIp: string,
  octet: number,
  podName: string,
  app: string
): DemoCluster {
  const nodeName = `${name}-node1`
  const poolCidr = `198.19.${octet}.0/18`
  const blockCidr = `198.19.${octet}.0/26`
  const tunnelIp = `198.19.${octet}.1`
  const podIp = `198.19.${octet}.2`
  return {
    name,
    node: nodeName,
    lab: { id, nodeIp, podIp },
    poolCidr,
    blockCidr,
    tunnelIp,
    podName,
    resources: [
      pool(`${name}-pool`, poolCidr),
      node(nodeName, nodeIp, tunnelIp),
      block(blockCidr, nodeName, podName),
      profile(),
      pod(nodeName, podName, podIp, app),
    ],
  }
}

/** West: the local cluster of the demo, on the embedded file datastore. */
export const WEST: DemoCluster = cluster('west', 'w1', '198.18.0.1', 0, 'client', 'client')
/** East: the remote cluster, on a real etcd. */
export const EAST: DemoCluster = cluster('east', 'e1', '198.18.0.2', 64, 'server', 'server')

/** A RemoteClusterConfiguration named `name` for an etcdv3 remote at `etcdEndpoint`. */
export function etcdRcc(
  name: string,
  etcdEndpoint: string,
  overlay: 'Enabled' | 'Disabled'
): RemoteClusterConfiguration {
  return {
    kind: 'RemoteClusterConfiguration',
    metadata: { name },
    spec: {
      datastoreType: 'etcdv3',
      etcdEndpoints: etcdEndpoint,
      syncOptions: { overlayRoutingMode: overlay },
    },
  }
}

/** West's RemoteClusterConfiguration for east (etcdv3, overlay routing on or off). */
export const eastRcc = (
  etcdEndpoint: string,
  overlay: 'Enabled' | 'Disabled'
): RemoteClusterConfiguration => etcdRcc('east', etcdEndpoint, overlay)

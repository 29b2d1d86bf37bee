/** Small resource builders for tests and benchmarks. */
import type {
  CalicoNode,
  RemoteClusterState,
  RemoteClusterStatus,
  WorkloadEndpoint,
} from '@cattail/model'

/** A workload endpoint with labels; `cluster` prefixes node and profile names like a remote one. */
export function makeWep(
  name: string,
  opts: {
    namespace?: string
    node?: string
    ip?: string
    labels?: Record<string, string>
    cluster?: string
  } = {}
): WorkloadEndpoint {
  const ns = opts.namespace ?? 'default'
  const pre = opts.cluster !== undefined ? `${opts.cluster}/` : ''
  return {
    kind: 'WorkloadEndpoint',
    metadata: { name, namespace: ns, labels: opts.labels ?? { app: name } },
    spec: {
      orchestrator: 'k8s',
      node: `${pre}${opts.node ?? 'node1'}`,
      pod: name,
      endpoint: 'eth0',
      ipNetworks: [`${opts.ip ?? '198.19.0.1'}/32`],
      profiles: [`${pre}kns.${ns}`],
      interfaceName: `cali${name.slice(0, 11)}`,
    },
  }
}

/** A Calico node with a VXLAN tunnel address. */
export function makeNode(name: string, ip = '198.18.0.1'): CalicoNode {
  return {
    kind: 'Node',
    metadata: { name },
    spec: { bgp: { ipv4Address: `${ip}/24` }, ipv4VXLANTunnelAddr: '198.19.0.1' },
  }
}

/** The status object of a remote cluster. */
export function makeRemoteStatus(
  name: string,
  status: RemoteClusterState,
  error?: string
): RemoteClusterStatus {
  return {
    kind: 'RemoteClusterStatus',
    metadata: { name },
    spec: { status, ...(error !== undefined && { error }) },
  }
}

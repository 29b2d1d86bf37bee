/**
 * Test fixtures for the policy calc: KV updates for endpoints, profiles, policies, tiers, network
 * sets, nodes and pools, written the way the cache delivers them (remote keys `<cluster>/`-prefixed).
 */
import type { KVUpdate, PolicyRule, PolicySpec, Resource } from '@cattail/model'

const put = (key: string, value: Resource | undefined): KVUpdate => ({ key, value, revision: '1' })

/** A workload endpoint update. */
export function wep(o: {
  name: string
  ns?: string
  node: string
  ip: string
  labels?: Record<string, string>
  iface?: string
  cluster?: string
  ports?: { name: string; protocol: 'TCP' | 'UDP'; port: number }[]
  sa?: string
}): KVUpdate {
  const ns = o.ns ?? 'default'
  const pre = o.cluster === undefined ? '' : `${o.cluster}/`
  return put(`${pre}WorkloadEndpoint/${ns}/${o.name}`, {
    kind: 'WorkloadEndpoint',
    metadata: { name: o.name, namespace: ns, labels: o.labels ?? {} },
    spec: {
      orchestrator: 'k8s',
      node: `${pre}${o.node}`,
      endpoint: 'eth0',
      ipNetworks: [o.ip.includes('/') ? o.ip : `${o.ip}/${o.ip.includes(':') ? 128 : 32}`],
      profiles: [`${pre}kns.${ns}`, ...(o.sa === undefined ? [] : [`${pre}ksa.${ns}.${o.sa}`])],
      ...(o.sa !== undefined && { serviceAccountName: o.sa }),
      ...(o.iface !== undefined && { interfaceName: o.iface }),
      ...(o.ports !== undefined && { ports: o.ports }),
    },
  })
}

/** A profile update (`kns.<ns>` style names; remote ones prefixed). */
export function profile(
  name: string,
  labels: Record<string, string>,
  cluster?: string,
  rules?: { ingress?: PolicyRule[]; egress?: PolicyRule[] }
): KVUpdate {
  const pre = cluster === undefined ? '' : `${cluster}/`
  return put(`${pre}Profile/${name}`, {
    kind: 'Profile',
    metadata: { name: `${pre}${name}` },
    spec: { labelsToApply: labels, ...rules },
  })
}

/** A namespace profile with `pcns.` labels. */
export function nsProfile(
  ns: string,
  labels: Record<string, string> = {},
  cluster?: string
): KVUpdate {
  const l: Record<string, string> = { 'pcns.projectcalico.org/name': ns }
  for (const [k, v] of Object.entries(labels)) l[`pcns.${k}`] = v
  return profile(`kns.${ns}`, l, cluster)
}

/** A NetworkPolicy update. */
export function np(name: string, ns: string, spec: PolicySpec): KVUpdate {
  return put(`NetworkPolicy/${ns}/${name}`, {
    kind: 'NetworkPolicy',
    metadata: { name, namespace: ns },
    spec,
  })
}

/** A GlobalNetworkPolicy update. */
export function gnp(name: string, spec: PolicySpec): KVUpdate {
  return put(`GlobalNetworkPolicy/${name}`, {
    kind: 'GlobalNetworkPolicy',
    metadata: { name },
    spec,
  })
}

/** A Tier update. */
export function tier(name: string, order?: number, defaultAction?: 'Deny' | 'Pass'): KVUpdate {
  return put(`Tier/${name}`, {
    kind: 'Tier',
    metadata: { name },
    spec: {
      ...(order !== undefined && { order }),
      ...(defaultAction !== undefined && { defaultAction }),
    },
  })
}

/** A NetworkSet (namespaced) or GlobalNetworkSet update. */
export function netSet(
  name: string,
  nets: string[],
  labels: Record<string, string>,
  ns?: string
): KVUpdate {
  return ns === undefined
    ? put(`GlobalNetworkSet/${name}`, {
        kind: 'GlobalNetworkSet',
        metadata: { name, labels },
        spec: { nets },
      })
    : put(`NetworkSet/${ns}/${name}`, {
        kind: 'NetworkSet',
        metadata: { name, namespace: ns, labels },
        spec: { nets },
      })
}

/** A Node with a VXLAN tunnel. */
export function node(name: string, ip: string, tunnel: string, cluster?: string): KVUpdate {
  const pre = cluster === undefined ? '' : `${cluster}/`
  return put(`${pre}Node/${name}`, {
    kind: 'Node',
    metadata: { name: `${pre}${name}` },
    spec: { bgp: { ipv4Address: `${ip}/24` }, ipv4VXLANTunnelAddr: tunnel },
  })
}

/** An IP pool. */
export function pool(name: string, cidr: string, natOutgoing: boolean, cluster?: string): KVUpdate {
  const pre = cluster === undefined ? '' : `${cluster}/`
  return put(`${pre}IPPool/${name}`, {
    kind: 'IPPool',
    metadata: { name },
    spec: { cidr, vxlanMode: 'Always', ipipMode: 'Never', natOutgoing, disabled: false },
  })
}

/** A deletion. */
export const del = (key: string): KVUpdate => put(key, undefined)

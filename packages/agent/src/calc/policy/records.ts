/**
 * Endpoint records: a WorkloadEndpoint or HostEndpoint as the policy calc keeps it (own labels
 * plus `projectcalico.org/namespace`, `orchestrator` and `serviceaccount`, addresses in ipset
 * form, local = a workload of this node with an interface), and the comparison that keeps an
 * unchanged local endpoint from being a structural change. Pure.
 */
import type { Resource } from '@cattail/model'
import { LABEL_NAMESPACE, LABEL_ORCHESTRATOR, LABEL_SERVICE_ACCOUNT } from './prepare.js'
import { memberForm, type EndpointRec } from './store.js'

/** The calc's record of a workload or host endpoint (labels completed as Felix completes them). */
export function endpointRecord(
  key: string,
  cluster: string | undefined,
  v: Resource,
  nodeName: string
): EndpointRec | undefined {
  if (v.kind === 'WorkloadEndpoint') {
    const ns = v.metadata.namespace ?? 'default'
    const labels: Record<string, string> = {
      [LABEL_NAMESPACE]: ns,
      [LABEL_ORCHESTRATOR]: v.spec.orchestrator,
      ...(v.spec.serviceAccountName !== undefined && {
        [LABEL_SERVICE_ACCOUNT]: v.spec.serviceAccountName,
      }),
      ...v.metadata.labels,
    }
    const local = cluster === undefined && v.spec.node === nodeName
    return {
      key,
      kind: 'WorkloadEndpoint',
      cluster,
      local: local && v.spec.interfaceName !== undefined,
      iface: v.spec.interfaceName,
      addrs: v.spec.ipNetworks.map((n) => memberForm(n)),
      ports: v.spec.ports ?? [],
      profiles: v.spec.profiles,
      labels,
    }
  }
  if (v.kind === 'HostEndpoint') {
    return {
      key,
      kind: 'HostEndpoint',
      cluster,
      local: false,
      iface: v.spec.interfaceName,
      addrs: v.spec.expectedIPs.map((n) => memberForm(n)),
      ports: v.spec.ports ?? [],
      profiles: v.spec.profiles,
      labels: { ...v.metadata.labels },
    }
  }
  return undefined
}

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i])

/** True when a local endpoint's rendering inputs are unchanged (labels, profiles, addresses…). */
export function sameLocalEndpoint(a: EndpointRec | undefined, b: EndpointRec | undefined): boolean {
  if (a === undefined || b === undefined) return false
  if (a.local !== b.local || a.iface !== b.iface) return false
  if (!sameList(a.addrs, b.addrs) || !sameList(a.profiles, b.profiles)) return false
  if (JSON.stringify(a.ports) !== JSON.stringify(b.ports)) return false
  const ka = Object.keys(a.labels)
  return ka.length === Object.keys(b.labels).length && ka.every((k) => a.labels[k] === b.labels[k])
}

/**
 * Endpoint records: a WorkloadEndpoint or HostEndpoint as the policy calc keeps it (own labels
 * plus `projectcalico.org/namespace`, `orchestrator` and `serviceaccount`, addresses in ipset
 * form, local = a workload of this node with an interface), and the comparison that keeps an
 * unchanged local endpoint from being a structural change. Pure.
 */
import type { Resource } from '@cattail/model'
import { LABEL_NAMESPACE, LABEL_ORCHESTRATOR, LABEL_SERVICE_ACCOUNT } from '@cattail/model'
import { addrsOf, memberForm, packAddrs, type EndpointRec } from './store.js'

/**
 * Shares the completed labels of workload endpoints whose own labels are one frozen object (the
 * agent's projection shares equal label maps that way: the pods of one Deployment) and whose
 * namespace, orchestrator and service account are equal. One per calc, created by it; entries
 * live as long as the own-labels object (weak), and the shared maps are frozen.
 */
export class EndpointLabels {
  // One entry per own-labels object: the completion made last (the pods of one Deployment share
  // namespace and service account, so a miss is rare and simply replaces it).
  readonly #byOwn = new WeakMap<object, Completed>()

  /** The completed labels (Felix's three plus the endpoint's own, which win). */
  complete(
    own: Readonly<Record<string, string>> | undefined,
    ns: string,
    orchestrator: string,
    sa: string | undefined
  ): Readonly<Record<string, string>> {
    const make = (): Record<string, string> => ({
      [LABEL_NAMESPACE]: ns,
      [LABEL_ORCHESTRATOR]: orchestrator,
      ...(sa !== undefined && { [LABEL_SERVICE_ACCOUNT]: sa }),
      ...own,
    })
    if (own === undefined || !Object.isFrozen(own)) return make()
    const hit = this.#byOwn.get(own)
    if (hit !== undefined && hit.ns === ns && hit.orchestrator === orchestrator && hit.sa === sa)
      return hit.labels
    const labels = Object.freeze(make())
    this.#byOwn.set(own, { ns, orchestrator, sa, labels })
    return labels
  }
}

interface Completed {
  readonly ns: string
  readonly orchestrator: string
  readonly sa: string | undefined
  readonly labels: Readonly<Record<string, string>>
}

/**
 * The calc's record of a workload or host endpoint (labels completed as Felix completes them;
 * shared through `shared` when given).
 */
export function endpointRecord(
  key: string,
  cluster: string | undefined,
  v: Resource,
  nodeName: string,
  shared: EndpointLabels = new EndpointLabels()
): EndpointRec | undefined {
  if (v.kind === 'WorkloadEndpoint') {
    const ns = v.metadata.namespace ?? 'default'
    const labels = shared.complete(
      v.metadata.labels,
      ns,
      v.spec.orchestrator,
      v.spec.serviceAccountName
    )
    const local = cluster === undefined && v.spec.node === nodeName
    return {
      key,
      kind: 'WorkloadEndpoint',
      cluster,
      local: local && v.spec.interfaceName !== undefined,
      // Only a workload of this node has an interface here (100,000 remote names: ~3 MiB).
      iface: local ? v.spec.interfaceName : undefined,
      addr: packAddrs(v.spec.ipNetworks.map((n) => memberForm(n))),
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
      addr: packAddrs(v.spec.expectedIPs.map((n) => memberForm(n))),
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
  if (!sameList(addrsOf(a), addrsOf(b)) || !sameList(a.profiles, b.profiles)) return false
  if (JSON.stringify(a.ports) !== JSON.stringify(b.ports)) return false
  const ka = Object.keys(a.labels)
  return ka.length === Object.keys(b.labels).length && ka.every((k) => a.labels[k] === b.labels[k])
}

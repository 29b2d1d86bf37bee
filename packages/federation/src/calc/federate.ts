/**
 * The federation calc: for one federated Service, the backing Services it selects and the
 * Endpoints object and EndpointSlices that list their addresses. Pure and deterministic.
 *
 * Overview:
 * ```
 *   Services in the namespace (local + every remote) ─ not annotated ─ selector(labels + implicit)
 *        │ ordered: local first, then by cluster, then by name
 *        ▼
 *   groups (ports + addresses) ─ keep ports whose name AND protocol match a federated port
 *        ├─► Endpoints: subsets repacked by port set, addresses deduplicated by IP,
 *        │   truncated to 1,000 (ready first, proportionally per subset) + over-capacity annotation
 *        └─► EndpointSlices: per (address family, port set), ≤ 100 endpoints each
 * ```
 * Implicit labels: every Service is matched with `projectcalico.org/namespace=<ns>` added, and a
 * remote one also with `federation.tigera.io/remoteClusterName=<rcc>` (as Calico does). The
 * namespace is also a hard filter (only `servicesIn(ns)` is read).
 *
 * Remote addresses: `targetRef.name` becomes `<rcc>/<pod>`; the remote uid and nodeName are
 * dropped (they mean nothing in this cluster, and a `/` is not a valid node name).
 *
 * Why `endpointslice.kubernetes.io/skip-mirror: "true"` on the Endpoints: in a real cluster the
 * EndpointSlice mirroring controller would otherwise mirror our Endpoints of a selector-less
 * Service into a second set of slices.
 */
import type { Selector } from '@cattail/selector'
import { isAnnotated } from './classify.js'
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  MAX_ENDPOINTS_ADDRESSES,
  MAX_SLICE_ENDPOINTS,
  NAMESPACE_LABEL,
  OVER_CAPACITY_ANNOTATION,
  REMOTE_CLUSTER_LABEL,
  SERVICE_NAME_LABEL,
  SERVICE_SELECTOR_ANNOTATION,
  type Backing,
  type BackendAddress,
  type BackendPort,
  type BackingView,
  type EndpointAddressJson,
  type EndpointSliceJson,
  type EndpointsJson,
  type FederatedObjects,
  type ServiceInfo,
  type SliceEndpointJson,
  type WrittenMeta,
} from './types.js'
import { ipVersionOf } from '@cattail/model'

/** Label Kubernetes' mirroring controller honours: do not mirror these Endpoints into slices. */
const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror'

/** The labels a selector sees for `svc`: its own plus the implicit namespace and cluster labels. */
function selectionLabels(svc: ServiceInfo): Map<string, string> {
  const m = new Map(Object.entries(svc.labels))
  m.set(NAMESPACE_LABEL, svc.namespace)
  if (svc.cluster !== '') m.set(REMOTE_CLUSTER_LABEL, svc.cluster)
  else m.delete(REMOTE_CLUSTER_LABEL)
  return m
}

/** True when `candidate` may back federated Service `fed` with `selector`. */
export function backs(fed: ServiceInfo, selector: Selector, candidate: ServiceInfo): boolean {
  return (
    candidate.namespace === fed.namespace &&
    !isAnnotated(candidate) &&
    selector.evaluate(selectionLabels(candidate))
  )
}

const byBackingOrder = (a: ServiceInfo, b: ServiceInfo): number =>
  a.cluster === b.cluster
    ? a.name < b.name
      ? -1
      : a.name > b.name
        ? 1
        : 0
    : a.cluster === ''
      ? -1
      : b.cluster === ''
        ? 1
        : a.cluster < b.cluster
          ? -1
          : 1

/** The backing Services of `fed`, in backing order (local first, then cluster, then name). */
function selectBacking(fed: ServiceInfo, selector: Selector, view: BackingView): Backing[] {
  const out: ServiceInfo[] = []
  for (const s of view.servicesIn(fed.namespace)) if (backs(fed, selector, s)) out.push(s)
  out.sort(byBackingOrder)
  return out.map((service) => ({ service, groups: view.groupsOf(service) }))
}

const portKey = (ports: readonly BackendPort[]): string =>
  ports.map((p) => `${p.name}/${p.protocol}/${p.port}`).join(',')

const comparePorts = (a: BackendPort, b: BackendPort): number =>
  a.name !== b.name
    ? a.name < b.name
      ? -1
      : 1
    : a.protocol !== b.protocol
      ? a.protocol < b.protocol
        ? -1
        : 1
      : a.port - b.port

/** Backend ports kept for `fed`: name AND protocol equal one of its ports; backend numbers. */
function matchPorts(fed: ServiceInfo, ports: readonly BackendPort[]): BackendPort[] {
  const kept = ports.filter((p) =>
    fed.ports.some((f) => f.name === p.name && f.protocol === p.protocol)
  )
  const seen = new Set<string>()
  return kept.sort(comparePorts).filter((p) => {
    const k = portKey([p])
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

/** An address as written for backing cluster `cluster` ('' = local). */
function outAddress(a: BackendAddress, cluster: string): EndpointAddressJson {
  const remote = cluster !== ''
  const ref = a.targetRef
  const targetRef =
    ref === undefined
      ? undefined
      : remote
        ? {
            ...(ref.kind !== undefined && { kind: ref.kind }),
            ...(ref.name !== undefined && { name: `${cluster}/${ref.name}` }),
            ...(ref.namespace !== undefined && { namespace: ref.namespace }),
          }
        : { ...ref }
  return {
    ip: a.ip,
    ...(a.hostname !== undefined && { hostname: a.hostname }),
    ...(!remote && a.nodeName !== undefined && { nodeName: a.nodeName }),
    ...(targetRef !== undefined && { targetRef }),
  }
}

const byIp = (a: BackendAddress, b: BackendAddress): number =>
  a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0

/** One port set's addresses, deduplicated by IP (first wins), in backing order. */
interface Packed {
  readonly ports: BackendPort[]
  readonly ready: Map<string, EndpointAddressJson>
  readonly notReady: Map<string, EndpointAddressJson>
}

/** Packs the backings' addresses by port set; `split` adds the address family to the key. */
function pack(fed: ServiceInfo, backings: readonly Backing[], split: boolean): Map<string, Packed> {
  const out = new Map<string, Packed>()
  for (const b of backings) {
    for (const g of b.groups) {
      const ports = matchPorts(fed, g.ports)
      if (fed.ports.length > 0 && ports.length === 0) continue
      const pk = portKey(ports)
      for (const a of [...g.addresses].sort(byIp)) {
        const key = split ? `${ipVersionOf(a.ip) ?? 4}|${pk}` : pk
        let p = out.get(key)
        if (p === undefined) {
          p = { ports, ready: new Map(), notReady: new Map() }
          out.set(key, p)
        }
        if (p.ready.has(a.ip) || p.notReady.has(a.ip)) continue
        ;(a.ready ? p.ready : p.notReady).set(a.ip, outAddress(a, b.service.cluster))
      }
    }
  }
  return out
}

function meta(fed: ServiceInfo, name: string, labels: Record<string, string>): WrittenMeta {
  return {
    name,
    namespace: fed.namespace,
    labels: { ...labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
  }
}

/** Builds the Endpoints object of `fed` from `backings` (see the file comment). */
function buildEndpoints(fed: ServiceInfo, backings: readonly Backing[]): EndpointsJson {
  const packed = [...pack(fed, backings, false).values()]
  const total = packed.reduce((n, p) => n + p.ready.size + p.notReady.size, 0)
  const truncated = total > MAX_ENDPOINTS_ADDRESSES
  let budgetLeft = MAX_ENDPOINTS_ADDRESSES
  const subsets = packed.map((p, i) => {
    const size = p.ready.size + p.notReady.size
    let allowed = size
    if (truncated) {
      allowed =
        i === packed.length - 1 ? budgetLeft : Math.floor((size * MAX_ENDPOINTS_ADDRESSES) / total)
      budgetLeft -= allowed
    }
    const ready = [...p.ready.values()].slice(0, allowed)
    const notReady = [...p.notReady.values()].slice(0, Math.max(0, allowed - ready.length))
    return {
      ...(ready.length > 0 && { addresses: ready }),
      ...(notReady.length > 0 && { notReadyAddresses: notReady }),
      ...(p.ports.length > 0 && { ports: p.ports }),
    }
  })
  const m = meta(fed, fed.name, { [SKIP_MIRROR_LABEL]: 'true' })
  m.annotations = {
    [SERVICE_SELECTOR_ANNOTATION]: fed.annotations[SERVICE_SELECTOR_ANNOTATION] ?? '',
    ...(truncated && { [OVER_CAPACITY_ANNOTATION]: 'truncated' }),
  }
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: m,
    subsets: subsets.filter((s) => s.addresses !== undefined || s.notReadyAddresses !== undefined),
  }
}

/** Name of the `i`th EndpointSlice of federated Service `svc`. */
function sliceName(svc: string, i: number): string {
  return `${svc}-cattail-${i}`
}

const toSliceEndpoint = (a: EndpointAddressJson, ready: boolean): SliceEndpointJson => ({
  addresses: [a.ip],
  conditions: { ready, serving: ready, terminating: false },
  ...(a.hostname !== undefined && { hostname: a.hostname }),
  ...(a.nodeName !== undefined && { nodeName: a.nodeName }),
  ...(a.targetRef !== undefined && { targetRef: a.targetRef }),
})

/** Builds the EndpointSlices of `fed` from `backings`: ≤ 100 endpoints each, owned by `fed`. */
function buildSlices(fed: ServiceInfo, backings: readonly Backing[]): EndpointSliceJson[] {
  const groups = [...pack(fed, backings, true).entries()].sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0
  )
  const out: EndpointSliceJson[] = []
  for (const [key, p] of groups) {
    const endpoints = [
      ...[...p.ready.values()].map((a) => toSliceEndpoint(a, true)),
      ...[...p.notReady.values()].map((a) => toSliceEndpoint(a, false)),
    ]
    for (let i = 0; i < endpoints.length; i += MAX_SLICE_ENDPOINTS) {
      const m = meta(fed, sliceName(fed.name, out.length), { [SERVICE_NAME_LABEL]: fed.name })
      if (fed.uid !== undefined) {
        m.ownerReferences = [
          {
            apiVersion: 'v1',
            kind: 'Service',
            name: fed.name,
            uid: fed.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ]
      }
      out.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: m,
        addressType: key.startsWith('6|') ? 'IPv6' : 'IPv4',
        endpoints: endpoints.slice(i, i + MAX_SLICE_ENDPOINTS),
        ports: p.ports,
      })
    }
  }
  return out
}

/** Everything to write for federated Service `fed` with `selector` (undefined = invalid: empty). */
export function federate(
  fed: ServiceInfo,
  selector: Selector | undefined,
  view: BackingView
): FederatedObjects {
  const backings = selector === undefined ? [] : selectBacking(fed, selector, view)
  const slices = buildSlices(fed, backings)
  return {
    endpoints: buildEndpoints(fed, backings),
    slices,
    backing: backings.map((b) => `${b.service.cluster}/${b.service.name}`),
    addressCount: slices.reduce((n, s) => n + s.endpoints.length, 0),
  }
}

/**
 * What the agent keeps of each KV it receives: only the fields its calcs read.
 *
 * Design: a decoded resource carries annotations, managedFields, status and other fields no calc
 * reads. The projection runs once per received KV, before the sync client digests it (the agent's
 * client keeps only a digest per key to diff a snapshot after a reconnect: `retain: 'digest'`,
 * sync-source.ts) and reports it, so the calcs receive and keep the slim value, and a change
 * confined to dropped fields is no change at all (the client's digests are equal). Frozen shared
 * objects (below) let the calcs share too: the policy calc and its label index share a label map
 * per frozen object.
 *
 * Kept, per kind (the policy calc's and the VXLAN calc's inputs):
 * - WorkloadEndpoint / HostEndpoint: metadata name, namespace, labels; spec ipNetworks,
 *   ipv6Networks, expectedIPs, profiles, ports, interfaceName, node, serviceAccountName,
 *   orchestrator, workload, endpoint (see {@link ENDPOINT_SPEC_FIELDS}).
 * - Profile: metadata name, labels; spec labelsToApply, ingress, egress.
 * - NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet, GlobalNetworkSet and any kind not listed
 *   here: metadata name, namespace, labels and the whole spec.
 * - Node: spec bgp (ipv4Address, ipv6Address), ipv4VXLANTunnelAddr, vxlanTunnelMACAddr,
 *   ipv6VXLANTunnelAddr, vxlanTunnelMACAddrV6. IPPool: the whole spec. IPAMBlock: spec cidr,
 *   affinity, allocations, attributes (only `secondary`), unallocated, deleted.
 * Everything else (annotations, uid, resourceVersion, creationTimestamp, managedFields, status…)
 * is dropped.
 *
 * Values repeated across many endpoints are shared, not copied: strings (label keys and values,
 * namespaces, node and profile names) and whole label maps, profile lists and port lists (the pods
 * of one ReplicaSet have equal labels and ports; the endpoints of one namespace equal profiles).
 * They are interned in a bounded per-projection table (by their JSON text for objects) and
 * frozen, since many values share them. When the table is full, new values are kept as they are
 * (still correct, just not shared). The table never shrinks: its size is bounded, not its age.
 */
import type { KVUpdate } from '@cattail/model'

/** The endpoint spec fields the agent keeps. */
export const ENDPOINT_SPEC_FIELDS: readonly string[] = [
  'ipNetworks',
  'ipv6Networks',
  'expectedIPs',
  'profiles',
  'ports',
  'interfaceName',
  'node',
  'serviceAccountName',
  'orchestrator',
  'workload',
  'endpoint',
]

/** The Node spec fields the agent keeps (`bgp` only with its two addresses). */
export const NODE_SPEC_FIELDS: readonly string[] = [
  'bgp',
  'ipv4VXLANTunnelAddr',
  'vxlanTunnelMACAddr',
  'ipv6VXLANTunnelAddr',
  'vxlanTunnelMACAddrV6',
]

/** The IPAMBlock spec fields the agent keeps (`attributes` only with `secondary`). */
export const BLOCK_SPEC_FIELDS: readonly string[] = [
  'cidr',
  'affinity',
  'allocations',
  'attributes',
  'unallocated',
  'deleted',
]

/** The Profile spec fields the agent keeps. */
export const PROFILE_SPEC_FIELDS: readonly string[] = ['labelsToApply', 'ingress', 'egress']

/** Most distinct strings one projection interns. */
export const DEFAULT_INTERN_LIMIT = 200_000

/** Maps a received KV to the value the agent stores. */
export type KvProjection = (u: KVUpdate) => KVUpdate

type Obj = Record<string, unknown>

/**
 * A copy of `s` that holds no reference to a larger string. The decoder returns many strings as
 * slices of one long string (a whole frame's text); keeping one slice keeps the whole text alive
 * (measured: ~1.3 KiB per endpoint). V8 slices only strings of 13 or more characters.
 */
export function flat(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string)
}
const flatAny = (v: unknown): unknown => (typeof v === 'string' ? flat(v) : v)
// A deep copy made of flat strings (policies and other kinds kept whole; few and small).
const copy = (v: unknown): unknown =>
  typeof v === 'object' && v !== null ? (JSON.parse(JSON.stringify(v)) as unknown) : flatAny(v)
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Creates a projection with its own string table of at most `internLimit` entries. */
export function createAgentProjection(internLimit = DEFAULT_INTERN_LIMIT): KvProjection {
  const table = new Map<string, string>()
  const intern = (s: string): string => {
    const hit = table.get(s)
    if (hit !== undefined) return hit
    const own = flat(s)
    if (table.size < internLimit) table.set(own, own)
    return own
  }
  const objects = new Map<string, unknown>()
  const share = <T>(v: T): T => {
    if (typeof v !== 'object' || v === null) return v
    const text = JSON.stringify(v)
    const hit = objects.get(text)
    if (hit !== undefined) return hit as T
    if (objects.size < internLimit) objects.set(text, Object.freeze(v))
    return v
  }
  const internAny = (v: unknown): unknown => (typeof v === 'string' ? intern(v) : v)
  const strMap = (v: unknown): Obj | undefined => {
    if (!isObj(v)) return undefined
    const out: Obj = {}
    for (const k of Object.keys(v)) out[intern(k)] = internAny(v[k])
    return out
  }
  const strList = (v: unknown): unknown =>
    Array.isArray(v) ? v.map((x: unknown) => internAny(x)) : v

  const metadata = (m: unknown): Obj => {
    const out: Obj = {}
    if (!isObj(m)) return out
    if (m['name'] !== undefined) out['name'] = flatAny(m['name'])
    if (m['namespace'] !== undefined) out['namespace'] = internAny(m['namespace'])
    const labels = strMap(m['labels'])
    if (labels !== undefined) out['labels'] = share(labels)
    return out
  }
  const pick = (
    spec: unknown,
    fields: readonly string[],
    each: (k: string, v: unknown) => unknown
  ): Obj => {
    const out: Obj = {}
    if (!isObj(spec)) return out
    for (const f of fields) if (spec[f] !== undefined) out[f] = each(f, spec[f])
    return out
  }
  const endpointField = (k: string, v: unknown): unknown => {
    switch (k) {
      case 'profiles':
        return share(strList(v))
      case 'ports':
        return share(v)
      case 'node':
      case 'orchestrator':
      case 'endpoint':
      case 'serviceAccountName':
      case 'workload':
        return internAny(v)
      case 'ipNetworks':
      case 'ipv6Networks':
      case 'expectedIPs':
        return Array.isArray(v) ? v.map(flatAny) : v
      default:
        return flatAny(v)
    }
  }
  const nodeField = (k: string, v: unknown): unknown => {
    if (k !== 'bgp' || !isObj(v)) return flatAny(v)
    const out: Obj = {}
    if (v['ipv4Address'] !== undefined) out['ipv4Address'] = flatAny(v['ipv4Address'])
    if (v['ipv6Address'] !== undefined) out['ipv6Address'] = flatAny(v['ipv6Address'])
    return out
  }
  const blockField = (k: string, v: unknown): unknown => {
    if (k === 'affinity') return internAny(v)
    if (k !== 'attributes' || !Array.isArray(v)) return flatAny(v)
    return v.map((a: unknown) => {
      const secondary = isObj(a) ? strMap(a['secondary']) : undefined
      return secondary === undefined ? {} : { secondary }
    })
  }

  return (u: KVUpdate): KVUpdate => {
    const value = u.value as unknown
    if (!isObj(value)) return u
    const kind = internAny(value['kind'])
    let spec: unknown
    switch (kind) {
      case 'WorkloadEndpoint':
      case 'HostEndpoint':
        spec = pick(value['spec'], ENDPOINT_SPEC_FIELDS, endpointField)
        break
      case 'Profile':
        spec = pick(value['spec'], PROFILE_SPEC_FIELDS, (k, v) =>
          k === 'labelsToApply' ? (strMap(v) ?? v) : copy(v)
        )
        break
      case 'Node':
        spec = pick(value['spec'], NODE_SPEC_FIELDS, nodeField)
        break
      case 'IPAMBlock':
        spec = pick(value['spec'], BLOCK_SPEC_FIELDS, blockField)
        break
      default:
        spec = copy(value['spec'])
    }
    const slim: Obj = { kind, metadata: metadata(value['metadata']) }
    if (spec !== undefined) slim['spec'] = spec
    return {
      key: flat(u.key),
      value: slim as unknown as KVUpdate['value'],
      revision: flat(u.revision),
    }
  }
}

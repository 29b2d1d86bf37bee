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
 * They are interned in bounded per-projection tables and frozen, since many values share them.
 * Strings are interned by text and numbered; label maps and profile lists are interned by a
 * 32-bit hash of their strings' numbers (a string past the table's limit is hashed by its text)
 * in a bucket, and equal means the same keys in the same order with identical values (`===`: the
 * strings are interned). No key text is built per value: an earlier key, the map's JSON text,
 * cost ~1 µs per endpoint and ~250 bytes per shared map. Port lists (rarer, nested) are interned
 * by their JSON text. When a table (or a bucket) is full, new values are kept as they are (still
 * correct, just not shared). The tables never shrink: their size is bounded, not their age.
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

/** Most shared values per hash bucket: a lookup never compares more (past it, not shared). */
const MAX_BUCKET = 8

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
  const table = new Map<string, number>() // string → its number in `strings`
  const strings: string[] = []
  const intern = (s: string): string => {
    const id = table.get(s)
    if (id !== undefined) return strings[id] as string
    const own = flat(s)
    if (table.size < internLimit) {
      table.set(own, strings.length)
      strings.push(own)
    }
    return own
  }
  // Port lists, by JSON text.
  const objects = new Map<string, unknown>()
  const share = <T>(v: T): T => {
    if (typeof v !== 'object' || v === null) return v
    const text = JSON.stringify(v)
    const hit = objects.get(text)
    if (hit !== undefined) return hit as T
    if (objects.size < internLimit) objects.set(text, Object.freeze(v))
    return v
  }
  // Label maps and profile lists, by hash (see the file comment).
  const buckets = new Map<number, (Obj | unknown[])[]>()
  let shared = 0
  const mix = (h: number, x: unknown): number => {
    let id = typeof x === 'string' ? table.get(x) : undefined
    if (id === undefined) {
      // Not interned (the table is full) or not a string: hash its text.
      const text = typeof x === 'string' ? x : String(JSON.stringify(x))
      id = 0x9e3779b9
      for (let i = 0; i < text.length; i++) id = Math.imul(id ^ text.charCodeAt(i), 0x01000193)
    }
    return Math.imul(h ^ id, 0x01000193)
  }
  const sameMap = (a: Obj, b: Obj, keys: readonly string[]): boolean => {
    const bk = Object.keys(b)
    if (bk.length !== keys.length) return false
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string
      if (bk[i] !== k || a[k] !== b[k]) return false
    }
    return true
  }
  const sameList = (a: unknown[], b: unknown[]): boolean =>
    a.length === b.length && a.every((x, i) => x === b[i])
  const shareHashed = <T extends Obj | unknown[]>(v: T, h: number, same: (c: T) => boolean): T => {
    const bucket = buckets.get(h)
    if (bucket !== undefined) for (const c of bucket) if (same(c as T)) return c as T
    // Bounded buckets: colliding values (even crafted ones) cost at most MAX_BUCKET compares.
    if (shared >= internLimit || (bucket?.length ?? 0) >= MAX_BUCKET) return v
    shared++
    Object.freeze(v)
    if (bucket === undefined) buckets.set(h, [v])
    else bucket.push(v)
    return v
  }
  const internAny = (v: unknown): unknown => (typeof v === 'string' ? intern(v) : v)
  const strMap = (v: unknown): Obj | undefined => {
    if (!isObj(v)) return undefined
    const out: Obj = {}
    for (const k of Object.keys(v)) out[intern(k)] = internAny(v[k])
    return out
  }
  // A label map of interned strings, shared.
  const sharedMap = (v: unknown): Obj | undefined => {
    const out = strMap(v)
    if (out === undefined) return undefined
    const keys = Object.keys(out)
    let h = 0x811c9dc5
    for (const k of keys) h = mix(mix(h, k), out[k])
    return shareHashed(out, h, (c) => !Array.isArray(c) && sameMap(out, c, keys))
  }
  const metadata = (m: unknown): Obj => {
    const out: Obj = {}
    if (!isObj(m)) return out
    if (m['name'] !== undefined) out['name'] = flatAny(m['name'])
    if (m['namespace'] !== undefined) out['namespace'] = internAny(m['namespace'])
    const labels = sharedMap(m['labels'])
    if (labels !== undefined) out['labels'] = labels
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
      case 'profiles': {
        if (!Array.isArray(v)) return v
        const list = v.map((x: unknown) => internAny(x))
        let h = 0x01000193
        for (const x of list) h = mix(h, x)
        return shareHashed(list, h, (c) => Array.isArray(c) && sameList(list, c))
      }
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

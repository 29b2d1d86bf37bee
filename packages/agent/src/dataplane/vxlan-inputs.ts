/**
 * What the VXLAN manager stores of each input: the projection of a Node, IPPool or IPAMBlock
 * value onto the fields the calc reads (tolerant of missing or mistyped fields: malformed values
 * are sanitised, or undefined when unusable), and the equality of two projections, so an update
 * that changes nothing the calc can see (a label, a resent object) marks nothing dirty.
 *
 * Cheap on purpose: a snapshot brings tens of thousands of these; no fingerprint strings, no
 * intermediate objects, and arrays that are already clean are kept instead of copied.
 */
import { affinityNode, borrowedOwner } from '../calc/route-calc.js'
import type { BlockInput, NodeInput, PoolInput } from '../calc/types.js'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type Uses = 'Workload' | 'Tunnel' | 'LoadBalancer'
const NO_ENTRIES: readonly never[] = Object.freeze([])

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** Projects a Node value onto what the calc reads; tolerant of missing/mistyped fields. */
export function projectNode(
  id: string,
  name: string,
  cluster: string | undefined,
  value: unknown
): NodeInput {
  const spec = (value as { spec?: Record<string, unknown> } | undefined)?.spec ?? {}
  const bgp = spec['bgp'] as Record<string, unknown> | undefined
  const ipv4Address = str(bgp?.['ipv4Address'])
  const tunnel = str(spec['ipv4VXLANTunnelAddr'])
  const mac = str(spec['vxlanTunnelMACAddr'])
  const out: Mutable<NodeInput['spec']> = {}
  if (ipv4Address !== undefined) out.bgp = { ipv4Address }
  if (tunnel !== undefined) out.ipv4VXLANTunnelAddr = tunnel
  if (mac !== undefined) out.vxlanTunnelMACAddr = mac
  return { id, name, cluster, spec: out }
}

/** Projects an IPPool value (undefined when it has no CIDR). */
export function projectPool(
  id: string,
  cluster: string | undefined,
  value: unknown
): PoolInput | undefined {
  const s = (value as { spec?: Record<string, unknown> } | undefined)?.spec
  const cidr = str(s?.['cidr'])
  if (s === undefined || cidr === undefined) return undefined
  const mode = s['vxlanMode']
  const uses = Array.isArray(s['allowedUses'])
    ? (s['allowedUses'] as unknown[]).filter(
        (u): u is Uses => u === 'Workload' || u === 'Tunnel' || u === 'LoadBalancer'
      )
    : undefined
  const spec: Mutable<PoolInput['spec']> = {
    cidr,
    vxlanMode: mode === 'Always' || mode === 'CrossSubnet' ? mode : 'Never',
    ipipMode: 'Never',
    natOutgoing: s['natOutgoing'] === true,
    disabled: s['disabled'] === true,
  }
  if (uses !== undefined) spec.allowedUses = uses
  return { id, cluster, spec }
}

/** Projects an IPAMBlock value (undefined when it has no CIDR). */
export function projectBlock(
  id: string,
  cluster: string | undefined,
  value: unknown
): BlockInput | undefined {
  const s = (value as { spec?: Record<string, unknown> } | undefined)?.spec
  const cidr = str(s?.['cidr'])
  if (s === undefined || cidr === undefined) return undefined
  const affinity = str(s['affinity'])
  const allocs = s['allocations']
  const allocations = !Array.isArray(allocs)
    ? NO_ENTRIES
    : (allocs as unknown[]).every((a) => a === null || typeof a === 'number')
      ? (allocs as (number | null)[])
      : (allocs as unknown[]).map((a) => (typeof a === 'number' ? a : null))
  const attrs: readonly unknown[] = Array.isArray(s['attributes']) ? s['attributes'] : NO_ENTRIES
  const nodeOf = (a: unknown): string | undefined =>
    str((a as { secondary?: Record<string, unknown> } | null)?.secondary?.['node'])
  // The calc reads allocations only for borrowed addresses (route-calc.ts). A block without any
  // (nearly all of them) keeps none: 64 allocations and their attributes per block were ~70 bytes
  // per endpoint at 10 per node. Decided on the raw value, before anything is built.
  const host = affinityNode(affinity, cluster)
  const borrowed = allocations.some(
    (i) => i !== null && borrowedOwner(nodeOf(attrs[i]), cluster, host) !== undefined
  )
  // The attributes of one block name few nodes (its own, a few borrowers): equal ones are shared.
  const byNode = new Map<string | undefined, { secondary?: { node: string } }>()
  const attributes = !borrowed
    ? NO_ENTRIES
    : attrs.map((a) => {
        const node = nodeOf(a)
        let attr = byNode.get(node)
        if (attr === undefined) {
          attr = node === undefined ? {} : { secondary: { node } }
          byNode.set(node, attr)
        }
        return attr
      })
  const spec: Mutable<BlockInput['spec']> = {
    cidr,
    allocations: borrowed ? allocations : NO_ENTRIES,
    unallocated: NO_ENTRIES,
    attributes: borrowed ? attributes : NO_ENTRIES,
  }
  if (affinity !== undefined) spec.affinity = affinity
  return { id, cluster, spec }
}

/** Equal projected nodes (same key: id, name and cluster are equal by construction). */
export function sameNode(a: NodeInput, b: NodeInput): boolean {
  return (
    a.spec.bgp?.ipv4Address === b.spec.bgp?.ipv4Address &&
    a.spec.ipv4VXLANTunnelAddr === b.spec.ipv4VXLANTunnelAddr &&
    a.spec.vxlanTunnelMACAddr === b.spec.vxlanTunnelMACAddr
  )
}

const sameList = <T>(
  a: readonly T[] | undefined,
  b: readonly T[] | undefined,
  eq: (x: T, y: T) => boolean = (x, y) => x === y
): boolean => {
  if (a === b) return true
  if (a === undefined || b === undefined || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (!eq(a[i] as T, b[i] as T)) return false
  return true
}

/** Equal projected pools. */
export function samePool(a: PoolInput, b: PoolInput): boolean {
  const x = a.spec
  const y = b.spec
  return (
    x.cidr === y.cidr &&
    x.vxlanMode === y.vxlanMode &&
    x.natOutgoing === y.natOutgoing &&
    x.disabled === y.disabled &&
    sameList(x.allowedUses, y.allowedUses)
  )
}

/** Equal projected blocks. */
export function sameBlock(a: BlockInput, b: BlockInput): boolean {
  const x = a.spec
  const y = b.spec
  return (
    x.cidr === y.cidr &&
    x.affinity === y.affinity &&
    sameList(x.allocations, y.allocations) &&
    sameList(x.attributes, y.attributes, (p, q) => p.secondary?.['node'] === q.secondary?.['node'])
  )
}

/**
 * Route calculation (pure): which main-table routes this node wants for the VXLAN overlay.
 *
 * Overview
 *   - Every IPAM block with affinity `host:<node>` (or `virtual:<node>`) routes its CIDR to that
 *     node; every allocation whose `secondary.node` differs from the block's host (a borrowed IP)
 *     routes as a /32 to its owner, on top of the block route (longest prefix wins in the kernel).
 *   - The containing pool (most specific pool of the SAME cluster containing the block) decides the
 *     encapsulation: `Never` or no pool → not ours, no route; `Always` → via the peer's tunnel IP on
 *     the VXLAN device; `CrossSubnet` → unencapsulated via the peer's node IP on the parent device
 *     when the peer's node IP lies in this node's own subnet, else like `Always`. LoadBalancer-only
 *     pools are never routed.
 *   - A block affine to this node becomes a blackhole (unused addresses must not leak to the default
 *     route); its borrowed IPs still route to their owners.
 *   - No VTEP for the target node → no route (it appears when the VTEP does).
 *
 * Clusters never merge: a remote block is matched only against its own cluster's pools, and
 * remote affinities/owners are resolved within the remote's prefix (`host:b/node1`, or a bare
 * `secondary.node` of `node2` from cluster `b` meaning `b/node2`). Clusters are processed in rank
 * order (local, then remotes by name); a block that overlaps any pool or accepted block of a
 * higher-ranked cluster is dropped ("local wins on CIDR overlap"), which is deterministic and does
 * not depend on update order. Within a cluster, blocks are taken in key order.
 *
 * Implementation: overlap tests use two indexes so each block costs O(33 + log n) instead of a scan:
 * a set of claimed `addr/len` strings answers "is there a claimed supernet" by walking the block's
 * own supernets, and a sorted array of claimed network starts answers "is there a claimed subnet".
 */
import {
  cidrContainsIp,
  formatCidr4,
  formatIPv4,
  maskOf,
  parseCidr4,
  parseIPv4,
  type Cidr4,
} from './ip.js'
import { compareClusters } from './vtep-calc.js'
import type { BlockInput, PoolInput, RouteSpec, Vtep } from './types.js'

/** Inputs of {@link computeRoutes}. */
export interface RouteCalcInput {
  /** This node's VTEP (undefined: no blackholes, no CrossSubnet decisions are possible). */
  readonly local: Vtep | undefined
  /** This node's id (plain local name). */
  readonly localNodeId: string
  /** Remote VTEPs by node id. */
  readonly vteps: ReadonlyMap<string, Vtep>
  readonly pools: Iterable<PoolInput>
  readonly blocks: Iterable<BlockInput>
}

/** Output of {@link computeRoutes}. */
export interface RouteCalcResult {
  readonly routes: ReadonlyMap<string, RouteSpec>
  readonly problems: readonly string[]
}

/** True when a pool may only be used for LoadBalancer addresses (never routed or NAT'ed). */
export function isLoadBalancerOnly(pool: PoolInput): boolean {
  const uses = pool.spec.allowedUses
  return uses !== undefined && uses.length > 0 && uses.every((u) => u === 'LoadBalancer')
}

/** Node id of an IPAM affinity (`host:x`, `virtual:x`) in `cluster`; undefined if none. */
export function affinityNode(
  affinity: string | undefined,
  cluster: string | undefined
): string | undefined {
  if (affinity === undefined) return undefined
  const m = /^(?:host|virtual):(.+)$/.exec(affinity)
  if (m === null) return undefined
  return qualifyNode(m[1] as string, cluster)
}

/** Prefixes a bare node name with its remote cluster (names never contain `/`). */
export function qualifyNode(name: string, cluster: string | undefined): string {
  if (cluster === undefined || name.includes('/')) return name
  return `${cluster}/${name}`
}

class ClaimIndex {
  readonly #exact = new Set<string>()
  #starts: number[] = []
  readonly #pending: number[] = []

  add(c: Cidr4): void {
    this.#exact.add(`${c.addr}/${c.len}`)
    this.#pending.push(c.addr)
  }

  /** Makes added networks visible to {@link overlaps}. */
  commit(): void {
    if (this.#pending.length === 0) return
    this.#starts = [...this.#starts, ...this.#pending].sort((a, b) => a - b)
    this.#pending.length = 0
  }

  overlaps(c: Cidr4): boolean {
    for (let len = c.len; len >= 0; len--) {
      if (this.#exact.has(`${(c.addr & maskOf(len)) >>> 0}/${len}`)) return true
    }
    // A claimed network starting inside c is a subnet of c (a supernet was caught above).
    const end = c.addr + 2 ** (32 - c.len) - 1
    let lo = 0
    let hi = this.#starts.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#starts[mid] as number) < c.addr) lo = mid + 1
      else hi = mid
    }
    return lo < this.#starts.length && (this.#starts[lo] as number) <= end
  }
}

interface ParsedPool {
  readonly pool: PoolInput
  readonly cidr: Cidr4
}

/** Computes the desired routes. Deterministic: the result does not depend on iteration order. */
export function computeRoutes(input: RouteCalcInput): RouteCalcResult {
  const problems: string[] = []
  const routes = new Map<string, RouteSpec>()
  const poolsByCluster = new Map<string | undefined, Map<string, ParsedPool>>()
  for (const p of input.pools) {
    const cidr = parseCidr4(p.spec.cidr)
    if (cidr === undefined) continue // IPv6 or malformed: not this manager's
    let m = poolsByCluster.get(p.cluster)
    if (m === undefined) poolsByCluster.set(p.cluster, (m = new Map<string, ParsedPool>()))
    const k = `${cidr.addr}/${cidr.len}`
    const prev = m.get(k)
    if (prev === undefined || p.id < prev.pool.id) m.set(k, { pool: p, cidr })
  }
  const blocksByCluster = new Map<string | undefined, BlockInput[]>()
  for (const b of input.blocks) {
    let l = blocksByCluster.get(b.cluster)
    if (l === undefined) blocksByCluster.set(b.cluster, (l = []))
    l.push(b)
  }
  // Not Array#sort on the raw keys: it always moves `undefined` (the local cluster) to the end.
  const clusters = [...new Set([...poolsByCluster.keys(), ...blocksByCluster.keys()])]
  const local = clusters.filter((c) => c === undefined)
  const remote = clusters.filter((c): c is string => c !== undefined).sort(compareClusters)
  const claimed = new ClaimIndex()

  const target = (dst: string, node: string, pool: ParsedPool): RouteSpec | undefined => {
    const vtep = input.vteps.get(node)
    if (vtep === undefined) return undefined
    if (pool.pool.spec.vxlanMode === 'CrossSubnet' && input.local?.nodeSubnet !== undefined) {
      const subnet = parseCidr4(input.local.nodeSubnet)
      const peer = parseIPv4(vtep.nodeIp)
      if (subnet !== undefined && peer !== undefined && cidrContainsIp(subnet, peer)) {
        return { kind: 'noencap', dst, gateway: vtep.nodeIp, node }
      }
    }
    return { kind: 'vxlan', dst, gateway: vtep.tunnelIp, node }
  }
  const put = (r: RouteSpec): void => {
    if (!routes.has(r.dst)) routes.set(r.dst, r)
  }

  for (const cluster of [...local, ...remote]) {
    const pools = poolsByCluster.get(cluster) ?? new Map<string, ParsedPool>()
    const accepted: Cidr4[] = []
    const blocks = [...(blocksByCluster.get(cluster) ?? [])].sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0
    )
    for (const b of blocks) {
      const cidr = parseCidr4(b.spec.cidr)
      if (cidr === undefined) continue
      const dst = formatCidr4(cidr)
      if (cluster !== undefined && claimed.overlaps(cidr)) {
        problems.push(`block ${b.id}: ${dst} overlaps a higher-ranked cluster; dropped`)
        continue
      }
      accepted.push(cidr)
      let pool: ParsedPool | undefined
      for (let len = cidr.len; len >= 0 && pool === undefined; len--) {
        pool = pools.get(`${(cidr.addr & maskOf(len)) >>> 0}/${len}`)
      }
      if (
        pool === undefined ||
        pool.pool.spec.vxlanMode === 'Never' ||
        isLoadBalancerOnly(pool.pool)
      ) {
        continue
      }
      const host = affinityNode(b.spec.affinity, cluster)
      const isMine = cluster === undefined && host === input.localNodeId
      // Borrowed IPs first: their /32s sit on top of whatever the block itself gets.
      b.spec.allocations.forEach((attrIdx, i) => {
        if (attrIdx === null || i >= 2 ** (32 - cidr.len)) return
        const ownerName = b.spec.attributes[attrIdx]?.secondary?.['node']
        if (ownerName === undefined || ownerName === '') return
        const owner = qualifyNode(ownerName, cluster)
        if (owner === host) return
        if (cluster === undefined && owner === input.localNodeId) return // our own workload
        const r = target(`${formatIPv4(cidr.addr + i)}/32`, owner, pool)
        if (r !== undefined) put(r)
      })
      if (host === undefined) continue
      if (isMine) {
        put({ kind: 'blackhole', dst })
        continue
      }
      const r = target(dst, host, pool)
      if (r !== undefined) put(r)
    }
    // This cluster's pools and blocks now shadow every lower-ranked cluster.
    for (const p of pools.values()) claimed.add(p.cidr)
    for (const c of accepted) claimed.add(c)
    claimed.commit()
  }
  return { routes, problems }
}

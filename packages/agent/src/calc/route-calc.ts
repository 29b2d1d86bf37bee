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
 *     route); its borrowed IPs still route to their owners. A /32 block of ours gets no blackhole:
 *     it would collide with the CNI's route to the pod that holds that address.
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
 *
 * Memo: the functions are plain (no module state). {@link RouteCalc} is the memoising form an
 * owner creates and keeps (the VXLAN manager): it parses each BlockInput object once, which lets
 * the manager do that work as updates arrive instead of inside a full computation.
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
  /** This node's VTEP (undefined: no CrossSubnet decisions are possible). */
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

/**
 * A route that pools and blocks call for, before VTEPs are known: `node` undefined = blackhole.
 * Candidates are in priority order; the first one for a destination that can be routed wins.
 */
export interface RouteCandidate {
  readonly dst: string
  readonly node: string | undefined
  readonly mode: 'Always' | 'CrossSubnet'
}

/** Output of {@link computeRouteCandidates}. */
export interface RouteCandidates {
  readonly candidates: readonly RouteCandidate[]
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
  const at = affinity.startsWith('host:') ? 5 : affinity.startsWith('virtual:') ? 8 : -1
  if (at < 0 || affinity.length === at) return undefined
  return qualifyNode(affinity.slice(at), cluster)
}

/**
 * The node that borrowed an address of a block hosted by `host`, from the allocation's attribute
 * owner name (qualified with `cluster`); undefined when there is no owner or it is the host.
 */
export function borrowedOwner(
  ownerName: string | undefined,
  cluster: string | undefined,
  host: string | undefined
): string | undefined {
  if (ownerName === undefined || ownerName === '') return undefined
  const owner = qualifyNode(ownerName, cluster)
  return owner === host ? undefined : owner
}

/** Prefixes a bare node name with its remote cluster (names never contain `/`). */
export function qualifyNode(name: string, cluster: string | undefined): string {
  if (cluster === undefined || name.includes('/')) return name
  return `${cluster}/${name}`
}

/**
 * Networks indexed by prefix length, so "is there an entry containing c" costs one lookup per
 * DISTINCT length present (usually one to three), with numeric keys (no string building).
 */
class PrefixMap<T> {
  readonly #byLen = new Map<number, Map<number, T>>()
  #lens: number[] = []

  set(c: Cidr4, v: T): void {
    let m = this.#byLen.get(c.len)
    if (m === undefined) {
      this.#byLen.set(c.len, (m = new Map<number, T>()))
      this.#lens = [...this.#byLen.keys()].sort((a, b) => b - a) // longest first
    }
    m.set(c.addr, v)
  }

  get(c: Cidr4): T | undefined {
    return this.#byLen.get(c.len)?.get(c.addr)
  }

  /** The most specific entry that contains `c` (equal counts). */
  longestContaining(c: Cidr4): T | undefined {
    for (const len of this.#lens) {
      if (len > c.len) continue
      const v = this.#byLen.get(len)?.get((c.addr & maskOf(len)) >>> 0)
      if (v !== undefined) return v
    }
    return undefined
  }
}

class ClaimIndex {
  readonly #nets = new PrefixMap<true>()
  #starts: number[] = []
  readonly #pending: number[] = []

  add(c: Cidr4): void {
    this.#nets.set(c, true)
    this.#pending.push(c.addr)
  }

  /** Makes added networks visible to {@link overlaps}. */
  commit(): void {
    if (this.#pending.length === 0) return
    this.#starts = [...this.#starts, ...this.#pending].sort((a, b) => a - b)
    this.#pending.length = 0
  }

  overlaps(c: Cidr4): boolean {
    if (this.#nets.longestContaining(c) !== undefined) return true
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

/** Per-block facts that depend on the block alone. */
export interface PreparedBlock {
  readonly cidr: Cidr4
  readonly dst: string
  readonly host: string | undefined
}

/** Parses a block (undefined for IPv6/malformed). No memo: see {@link RouteCalc.prepareBlock}. */
export function prepareBlock(b: BlockInput): PreparedBlock | undefined {
  const cidr = parseCidr4(b.spec.cidr)
  return cidr === undefined
    ? undefined
    : { cidr, dst: formatCidr4(cidr), host: affinityNode(b.spec.affinity, b.cluster) }
}

interface ParsedPool {
  readonly pool: PoolInput
  readonly cidr: Cidr4
}

/**
 * Computes route candidates from pools and blocks only (the expensive part: overlap resolution,
 * pool lookup, borrowed addresses). Depends on neither VTEPs nor the local VTEP, so callers can
 * keep the result while only nodes change. Deterministic.
 */
export function computeRouteCandidates(
  localNodeId: string,
  pools: Iterable<PoolInput>,
  blocks: Iterable<BlockInput>,
  prepare: (b: BlockInput) => PreparedBlock | undefined = prepareBlock
): RouteCandidates {
  const problems: string[] = []
  const candidates: RouteCandidate[] = []
  const poolsByCluster = new Map<string | undefined, PrefixMap<ParsedPool>>()
  const poolLists = new Map<string | undefined, ParsedPool[]>()
  for (const p of pools) {
    const cidr = parseCidr4(p.spec.cidr)
    if (cidr === undefined) continue // IPv6 or malformed: not this manager's
    let m = poolsByCluster.get(p.cluster)
    if (m === undefined) poolsByCluster.set(p.cluster, (m = new PrefixMap<ParsedPool>()))
    const prev = m.get(cidr)
    if (prev === undefined || p.id < prev.pool.id) m.set(cidr, { pool: p, cidr })
    let l = poolLists.get(p.cluster)
    if (l === undefined) poolLists.set(p.cluster, (l = []))
    l.push({ pool: p, cidr })
  }
  const blocksByCluster = new Map<string | undefined, BlockInput[]>()
  for (const b of blocks) {
    let l = blocksByCluster.get(b.cluster)
    if (l === undefined) blocksByCluster.set(b.cluster, (l = []))
    l.push(b)
  }
  // Not Array#sort on the raw keys: it always moves `undefined` (the local cluster) to the end.
  const clusters = [...new Set([...poolsByCluster.keys(), ...blocksByCluster.keys()])]
  const ordered = [
    ...clusters.filter((c) => c === undefined),
    ...clusters.filter((c): c is string => c !== undefined).sort(compareClusters),
  ]
  const claimed = new ClaimIndex()
  ordered.forEach((cluster, rank) => {
    const clusterPools = poolsByCluster.get(cluster) ?? new PrefixMap<ParsedPool>()
    const accepted: Cidr4[] = []
    const sorted = [...(blocksByCluster.get(cluster) ?? [])].sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0
    )
    for (const b of sorted) {
      const pb = prepare(b)
      if (pb === undefined) continue
      const { cidr, dst, host } = pb
      if (cluster !== undefined && claimed.overlaps(cidr)) {
        problems.push(`block ${b.id}: ${dst} overlaps a higher-ranked cluster; dropped`)
        continue
      }
      accepted.push(cidr)
      const pool = clusterPools.longestContaining(cidr)
      const mode = pool?.pool.spec.vxlanMode
      if (
        pool === undefined ||
        mode === undefined ||
        mode === 'Never' ||
        isLoadBalancerOnly(pool.pool)
      ) {
        continue
      }
      // Borrowed IPs first: their /32s sit on top of whatever the block itself gets.
      b.spec.allocations.forEach((attrIdx, i) => {
        if (attrIdx === null || i >= 2 ** (32 - cidr.len)) return
        const owner = borrowedOwner(b.spec.attributes[attrIdx]?.secondary?.['node'], cluster, host)
        if (owner === undefined) return
        if (cluster === undefined && owner === localNodeId) return // our own workload
        candidates.push({ dst: `${formatIPv4(cidr.addr + i)}/32`, node: owner, mode })
      })
      if (host === undefined) continue
      const isMine = cluster === undefined && host === localNodeId
      // No blackhole for a /32 block of ours: it is the pod's own address, and the CNI's route to
      // the pod (same destination) must win (Felix skips /32 local blocks the same way).
      if (isMine && cidr.len === 32) continue
      candidates.push({ dst, node: isMine ? undefined : host, mode })
    }
    if (rank === ordered.length - 1) return // nothing ranks lower: no need to index claims
    // This cluster's pools and blocks now shadow every lower-ranked cluster.
    for (const p of poolLists.get(cluster) ?? []) claimed.add(p.cidr)
    for (const c of accepted) claimed.add(c)
    claimed.commit()
  })
  return { candidates, problems }
}

/**
 * Turns candidates into routes with the current VTEPs (cheap: one map lookup per candidate).
 * `previous` lets unchanged routes keep their object identity, which downstream caches use.
 */
export function targetRoutes(
  candidates: readonly RouteCandidate[],
  local: Vtep | undefined,
  vteps: ReadonlyMap<string, Vtep>,
  previous?: ReadonlyMap<string, RouteSpec>
): Map<string, RouteSpec> {
  const routes = new Map<string, RouteSpec>()
  const subnet = local?.nodeSubnet === undefined ? undefined : parseCidr4(local.nodeSubnet)
  for (const c of candidates) {
    if (routes.has(c.dst)) continue
    let r: RouteSpec
    if (c.node === undefined) {
      r = { kind: 'blackhole', dst: c.dst }
    } else {
      const vtep = vteps.get(c.node)
      if (vtep === undefined) continue // no VTEP, no route; a later candidate may still route dst
      let noencap = false
      if (c.mode === 'CrossSubnet' && subnet !== undefined) {
        const peer = parseIPv4(vtep.nodeIp)
        noencap = peer !== undefined && cidrContainsIp(subnet, peer)
      }
      r = noencap
        ? { kind: 'noencap', dst: c.dst, gateway: vtep.nodeIp, node: c.node }
        : { kind: 'vxlan', dst: c.dst, gateway: vtep.tunnelIp, node: c.node }
    }
    const prev = previous?.get(c.dst)
    routes.set(c.dst, prev !== undefined && sameRouteSpec(prev, r) ? prev : r)
  }
  return routes
}

/** Structural equality of two route specs. */
export function sameRouteSpec(a: RouteSpec, b: RouteSpec): boolean {
  if (a.kind !== b.kind || a.dst !== b.dst) return false
  if (a.kind === 'blackhole' || b.kind === 'blackhole') return true
  return a.gateway === b.gateway && a.node === b.node
}

/** Computes the desired routes. Deterministic: the result does not depend on iteration order. */
export function computeRoutes(input: RouteCalcInput): RouteCalcResult {
  const c = computeRouteCandidates(input.localNodeId, input.pools, input.blocks)
  return { routes: targetRoutes(c.candidates, input.local, input.vteps), problems: c.problems }
}

/**
 * {@link prepareBlock} and {@link computeRouteCandidates} with a memo by input identity, owned by
 * whoever creates it (one per VXLAN manager). Callers may prepare blocks as updates arrive so that
 * a later full computation finds the work done.
 */
export class RouteCalc {
  readonly #prepared = new WeakMap<BlockInput, PreparedBlock | null>()

  /** {@link prepareBlock}, once per input object. */
  prepareBlock(b: BlockInput): PreparedBlock | undefined {
    let p = this.#prepared.get(b)
    if (p === undefined) {
      p = prepareBlock(b) ?? null
      this.#prepared.set(b, p)
    }
    return p ?? undefined
  }

  /** {@link computeRouteCandidates} with prepared blocks from the memo. */
  candidates(
    localNodeId: string,
    pools: Iterable<PoolInput>,
    blocks: Iterable<BlockInput>
  ): RouteCandidates {
    return computeRouteCandidates(localNodeId, pools, blocks, (b) => this.prepareBlock(b))
  }
}

/**
 * VTEP calculation (pure): which nodes are complete VXLAN tunnel endpoints, and with which MAC.
 *
 * Overview: a node is a VTEP when it has an underlay IPv4 address (`spec.bgp.ipv4Address`, prefix
 * dropped) AND a tunnel address (`spec.ipv4VXLANTunnelAddr`); otherwise it is not a VTEP at all
 * (Felix's completeness rule). The MAC is `spec.vxlanTunnelMACAddr` when present, else derived from
 * the node's unprefixed name (see mac.ts). An unparsable published MAC skips that VTEP only.
 *
 * Conflicts: two VTEPs may not share a MAC (one FDB entry per MAC) or a tunnel IP (one ARP entry
 * per IP). A remote node with the same plain name as a local one derives the same MAC, so this
 * happens in practice. The VTEP of the higher-ranked cluster wins (local, then remote clusters by
 * name, then node id) and the loser is dropped entirely, so no route points at a half-programmed
 * VTEP. Nothing here depends on input order.
 *
 * Memo: the functions are plain (no module state). {@link VtepCalc} is the memoising form an owner
 * creates and keeps (the VXLAN manager): it reuses a node's result while its NodeInput object is
 * unchanged, which the manager guarantees for nodes whose calc-visible fields did not change.
 */
import { normalizeMac, vtepMacForNode } from './mac.js'
import { parseAddrWithPrefix, parseIPv4, formatCidr4, formatIPv4 } from './ip.js'
import type { NodeInput, Vtep } from './types.js'

/** Result of {@link computeVtep}: a VTEP, or why the node is not one. */
export type VtepResult = { readonly vtep: Vtep } | { readonly problem: string }

/** Builds the VTEP of one node, applying the completeness rules (no memo: see {@link VtepCalc}). */
export function computeVtep(n: NodeInput): VtepResult {
  const bgpAddr = n.spec.bgp?.ipv4Address
  if (bgpAddr === undefined || bgpAddr === '') return { problem: `node ${n.id}: no ipv4Address` }
  const addr = parseAddrWithPrefix(bgpAddr)
  if (addr === undefined) return { problem: `node ${n.id}: bad ipv4Address ${bgpAddr}` }
  const tunnelText = n.spec.ipv4VXLANTunnelAddr
  if (tunnelText === undefined || tunnelText === '') {
    return { problem: `node ${n.id}: no ipv4VXLANTunnelAddr` }
  }
  // Calico stores the tunnel address bare; tolerate a /32 suffix.
  const tunnel = parseIPv4(tunnelText.replace(/\/32$/, ''))
  if (tunnel === undefined)
    return { problem: `node ${n.id}: bad ipv4VXLANTunnelAddr ${tunnelText}` }
  let mac: string | undefined
  const published = n.spec.vxlanTunnelMACAddr
  if (published !== undefined && published !== '') {
    mac = normalizeMac(published)
    if (mac === undefined) return { problem: `node ${n.id}: bad vxlanTunnelMACAddr ${published}` }
  } else {
    mac = vtepMacForNode(n.name)
  }
  return {
    vtep: {
      node: n.id,
      cluster: n.cluster,
      nodeIp: addr.ip,
      nodeSubnet: addr.network === undefined ? undefined : formatCidr4(addr.network),
      tunnelIp: formatIPv4(tunnel),
      mac,
    },
  }
}

/** Ranks clusters: local (undefined) first, then remote clusters by name. */
export function compareClusters(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0
  if (a === undefined) return -1
  if (b === undefined) return 1
  return a < b ? -1 : 1
}

/** Result of {@link computeVteps}. */
export interface VtepsResult {
  /** This node's VTEP, if complete. */
  readonly local: Vtep | undefined
  /** Every other VTEP that survived conflict resolution, by node id. */
  readonly remotes: Map<string, Vtep>
  readonly problems: readonly string[]
}

/**
 * Computes every VTEP. `localNodeId` is this node's (local, unprefixed) name. The local VTEP claims
 * its MAC and tunnel IP first, so no remote can shadow our own device.
 */
export function computeVteps(
  nodes: Iterable<NodeInput>,
  localNodeId: string,
  vtepOf: (n: NodeInput) => VtepResult = computeVtep
): VtepsResult {
  const problems: string[] = []
  const all: Vtep[] = []
  for (const n of nodes) {
    const r = vtepOf(n)
    if ('problem' in r) problems.push(r.problem)
    else all.push(r.vtep)
  }
  // Conflicts are resolved greedily in rank order, but only VTEPs that share a MAC or tunnel IP
  // with another one can lose; everything else is accepted without sorting (O(n), not O(n log n)).
  const macCount = new Map<string, number>()
  const tunnelCount = new Map<string, number>()
  for (const v of all) {
    macCount.set(v.mac, (macCount.get(v.mac) ?? 0) + 1)
    tunnelCount.set(v.tunnelIp, (tunnelCount.get(v.tunnelIp) ?? 0) + 1)
  }
  const isLocal = (v: Vtep): boolean => v.node === localNodeId && v.cluster === undefined
  let local: Vtep | undefined
  const remotes = new Map<string, Vtep>()
  const contested: Vtep[] = []
  for (const v of all) {
    if (macCount.get(v.mac) !== 1 || tunnelCount.get(v.tunnelIp) !== 1) contested.push(v)
    else if (isLocal(v)) local = v
    else remotes.set(v.node, v)
  }
  contested.sort((a, b) => {
    if (isLocal(a)) return -1
    if (isLocal(b)) return 1
    return compareClusters(a.cluster, b.cluster) || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)
  })
  const macs = new Map<string, string>()
  const tunnels = new Map<string, string>()
  for (const v of contested) {
    const macOwner = macs.get(v.mac)
    const tunnelOwner = tunnels.get(v.tunnelIp)
    if (macOwner !== undefined) {
      problems.push(`node ${v.node}: MAC ${v.mac} already used by ${macOwner}`)
      continue
    }
    if (tunnelOwner !== undefined) {
      problems.push(`node ${v.node}: tunnel IP ${v.tunnelIp} already used by ${tunnelOwner}`)
      continue
    }
    macs.set(v.mac, v.node)
    tunnels.set(v.tunnelIp, v.node)
    if (isLocal(v)) local = v
    else remotes.set(v.node, v)
  }
  return { local, remotes, problems }
}

/**
 * {@link computeVtep} and {@link computeVteps} with a memo by input identity, owned by whoever
 * creates it (one per VXLAN manager): a NodeInput object that is kept unchanged is computed once.
 */
export class VtepCalc {
  readonly #memo = new WeakMap<NodeInput, VtepResult>()

  /** The VTEP of one node (memoised per input object). */
  vtep(n: NodeInput): VtepResult {
    let r = this.#memo.get(n)
    if (r === undefined) {
      r = computeVtep(n)
      this.#memo.set(n, r)
    }
    return r
  }

  /** {@link computeVteps} with the memo. */
  vteps(nodes: Iterable<NodeInput>, localNodeId: string): VtepsResult {
    return computeVteps(nodes, localNodeId, (n) => this.vtep(n))
  }
}

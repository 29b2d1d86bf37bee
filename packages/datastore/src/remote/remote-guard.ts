/**
 * What a remote cluster may not send: address ranges that would reroute local traffic, VTEP MACs
 * that would break VXLAN, and more objects than the per-remote limit. A remote is a separate trust
 * domain; the mesh syncer feeds this guard the local facts and asks it about every remote value.
 *
 * Overview:
 *   local updates ──observe()──▶ LocalAddressView { node addresses (the underlay), local pools }
 *   remote IPPool / IPAMBlock ──check()──▶ rejected when its CIDR overlaps a local node address,
 *                                           the Service CIDRs (a cache flag) or a local pool
 *   remote Node ──check()──▶ rejected when vxlanTunnelMACAddr is all-zero (the VXLAN flood
 *                            entry), multicast or broadcast
 * Implementation: CIDR containment with node:net's BlockList; two CIDRs overlap exactly when one
 * contains an address of the other (CIDRs nest). Checks run when a remote value arrives; a local
 * change does not re-check values already accepted (documented limitation).
 */
import { BlockList, isIP } from 'node:net'
import { parseKey, type KVUpdate, type Resource } from '@cattail/model'

/** Why a remote object was refused (the `reason` label of the metric and the status counts). */
export type RemoteRejectReason =
  | 'overlaps-node-address'
  | 'overlaps-service-cidr'
  | 'overlaps-local-pool'
  | 'bad-vtep-mac'
  | 'object-limit'

/** One refusal: the reason and a sentence for logs and the status. */
export interface RemoteRejection {
  readonly reason: RemoteRejectReason
  readonly detail: string
}

interface Cidr {
  readonly addr: string
  readonly prefix: number
  readonly family: 'ipv4' | 'ipv6'
  readonly text: string
}

/** Parses `addr[/prefix]` (a bare address is a host route); undefined when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/')
  const addr = slash < 0 ? text : text.slice(0, slash)
  const v = isIP(addr)
  if (v === 0) return undefined
  const max = v === 4 ? 32 : 128
  const prefix = slash < 0 ? max : Number(text.slice(slash + 1))
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined
  return { addr, prefix, family: v === 4 ? 'ipv4' : 'ipv6', text }
}

/** A test of "is this address inside `outer`" (one BlockList, reused for every address). */
function inside(outer: Cidr): (addr: string, family: 'ipv4' | 'ipv6') => boolean {
  const b = new BlockList()
  b.addSubnet(outer.addr, outer.prefix, outer.family)
  return (addr, family) => family === outer.family && b.check(addr, family)
}

/** True when the two CIDRs share an address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return inside(a)(b.addr, b.family) || inside(b)(a.addr, a.family)
}

/**
 * Why `mac` cannot be a VTEP MAC (all-zero is the VXLAN flood entry; broadcast and multicast
 * addresses would flood), or undefined when it is a usable unicast MAC. Unparseable MACs are
 * refused too.
 */
export function badVtepMacReason(mac: string): string | undefined {
  const m =
    /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(
      mac
    )
  if (m === null) return `vxlanTunnelMACAddr ${JSON.stringify(mac)} is not a MAC address`
  const bytes = m.slice(1).map((h) => parseInt(h, 16))
  if (bytes.every((b) => b === 0))
    return `vxlanTunnelMACAddr ${mac} is all-zero (the VXLAN flood entry)`
  if (bytes.every((b) => b === 0xff)) return `vxlanTunnelMACAddr ${mac} is the broadcast address`
  if (((bytes[0] as number) & 1) === 1) return `vxlanTunnelMACAddr ${mac} is a multicast address`
  return undefined
}

/** The local facts remote values are checked against, kept up to date from local updates. */
export class LocalAddressView {
  /** Node name → its underlay addresses (BGP IPv4/IPv6 addresses, as host routes). */
  readonly #nodes = new Map<string, Cidr[]>()
  /** Pool name → CIDR. */
  readonly #pools = new Map<string, Cidr>()
  readonly #serviceCidrs: readonly Cidr[]

  /**
   * @param serviceCidrs - the cluster's Service CIDRs (`--service-cluster-ip-range`); invalid
   *   entries must have been refused by the caller's configuration check
   */
  constructor(serviceCidrs: readonly string[] = []) {
    this.#serviceCidrs = serviceCidrs.flatMap((s) => {
      const c = parseCidr(s.trim())
      return c === undefined ? [] : [c]
    })
  }

  /** Takes note of a local update (Nodes and IPPools; everything else is ignored). */
  observe(u: KVUpdate): void {
    const k = parseKey(u.key)
    if (k === undefined || k.cluster !== undefined) return
    if (k.kind === 'Node') {
      const v = u.value
      if (v?.kind !== 'Node') {
        this.#nodes.delete(k.name)
        return
      }
      const addrs: Cidr[] = []
      for (const a of [v.spec.bgp?.ipv4Address, v.spec.bgp?.ipv6Address]) {
        if (a === undefined) continue
        const c = parseCidr(a.split('/')[0] ?? '')
        if (c !== undefined) addrs.push(c)
      }
      this.#nodes.set(k.name, addrs)
    } else if (k.kind === 'IPPool') {
      const v = u.value
      const c = v?.kind === 'IPPool' ? parseCidr(v.spec.cidr) : undefined
      if (c === undefined) this.#pools.delete(k.name)
      else this.#pools.set(k.name, c)
    }
  }

  /** Why the remote value `r` must be refused, or undefined when it may pass. */
  check(r: Resource): RemoteRejection | undefined {
    if (r.kind === 'IPPool' || r.kind === 'IPAMBlock') {
      const c = parseCidr(r.spec.cidr)
      if (c === undefined) return undefined // the driver's validation already refuses these
      const what = `${r.kind} ${r.metadata.name} (${r.spec.cidr})`
      const inC = inside(c)
      for (const [node, addrs] of this.#nodes) {
        for (const a of addrs) {
          if (inC(a.addr, a.family)) {
            return {
              reason: 'overlaps-node-address',
              detail: `${what} contains the address ${a.addr} of local node ${node}`,
            }
          }
        }
      }
      for (const s of this.#serviceCidrs) {
        if (cidrsOverlap(c, s)) {
          return {
            reason: 'overlaps-service-cidr',
            detail: `${what} overlaps the Service CIDR ${s.text}`,
          }
        }
      }
      for (const [pool, p] of this.#pools) {
        if (cidrsOverlap(c, p)) {
          return {
            reason: 'overlaps-local-pool',
            detail: `${what} overlaps local IPPool ${pool} (${p.text})`,
          }
        }
      }
      return undefined
    }
    if (r.kind === 'Node') {
      const mac = r.spec.vxlanTunnelMACAddr
      const bad = mac === undefined ? undefined : badVtepMacReason(mac)
      if (bad !== undefined)
        return { reason: 'bad-vtep-mac', detail: `Node ${r.metadata.name}: ${bad}` }
      const mac6 = r.spec.vxlanTunnelMACAddrV6
      const bad6 = mac6 === undefined ? undefined : badVtepMacReason(mac6)
      if (bad6 !== undefined)
        return { reason: 'bad-vtep-mac', detail: `Node ${r.metadata.name}: ${bad6}` }
    }
    return undefined
  }
}

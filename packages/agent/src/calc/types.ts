/**
 * Inputs and outputs of the VXLAN calculation (pure data, no behaviour).
 *
 * Identity rules: a node is identified by its mesh name, which is its plain name for the local
 * cluster and `<cluster>/<name>` for remote cluster `<cluster>` (the prefixed metadata.name the
 * remote syncer produces). Clusters are ranked local first, then remote clusters by name; on any
 * conflict (overlapping CIDRs, the same MAC or tunnel IP twice) the higher-ranked cluster wins.
 */
import type { CalicoNode, IPAMBlock, IPPool } from '@cattail/model'

/** A Node as the calc sees it. */
export interface NodeInput {
  /** Mesh identity: `node1` (local) or `b/node1` (remote cluster `b`). */
  readonly id: string
  /** The node's own, unprefixed name (hashed for the derived MAC). */
  readonly name: string
  /** Remote cluster name; undefined for the local cluster. */
  readonly cluster: string | undefined
  readonly spec: CalicoNode['spec']
}

/** An IP pool with the cluster it came from. */
export interface PoolInput {
  /** Canonical key string (stable sort order). */
  readonly id: string
  readonly cluster: string | undefined
  readonly spec: IPPool['spec']
}

/** An IPAM block with the cluster it came from. */
export interface BlockInput {
  /** Canonical key string (stable sort order). */
  readonly id: string
  readonly cluster: string | undefined
  readonly spec: IPAMBlock['spec']
}

/** A complete IPv4 VXLAN tunnel endpoint. */
export interface Vtep {
  /** Mesh identity of the node (see {@link NodeInput.id}). */
  readonly node: string
  readonly cluster: string | undefined
  /** Underlay (outer) address, from `spec.bgp.ipv4Address` without its prefix. */
  readonly nodeIp: string
  /** The node's underlay subnet when `bgp.ipv4Address` carries a prefix (CrossSubnet decisions). */
  readonly nodeSubnet: string | undefined
  /** Overlay address on the node's VXLAN device (`spec.ipv4VXLANTunnelAddr`). */
  readonly tunnelIp: string
  /** Lower-case MAC of the node's VXLAN device. */
  readonly mac: string
}

/** One desired route in the main table. `dst` is a canonical IPv4 CIDR. */
export type RouteSpec =
  /** `<dst> via <gateway=tunnel IP> dev <vxlan device> onlink proto <ours>`. */
  | {
      readonly kind: 'vxlan'
      readonly dst: string
      readonly gateway: string
      readonly node: string
    }
  /** `<dst> via <gateway=node IP> dev <parent> onlink proto <ours>` (CrossSubnet, same subnet). */
  | {
      readonly kind: 'noencap'
      readonly dst: string
      readonly gateway: string
      readonly node: string
    }
  /** `blackhole <dst> proto <ours>`: a block affine to this node. */
  | { readonly kind: 'blackhole'; readonly dst: string }

/** NAT-outgoing ipset contents, computed now for the NAT manager of part 2. */
export interface NatSets {
  /** Every usable pool CIDR of every cluster (destinations that are never masqueraded). */
  readonly allPools: ReadonlySet<string>
  /** Local pools with `natOutgoing: true` (sources that are masqueraded). Remote pools never. */
  readonly natPools: ReadonlySet<string>
}

/** The whole desired VXLAN state of one node. */
export interface VxlanState {
  /** This node's VTEP; undefined while our Node is unknown or incomplete (nothing is programmed). */
  readonly local: Vtep | undefined
  /** Every other complete VTEP by node identity, after conflict resolution. */
  readonly remotes: ReadonlyMap<string, Vtep>
  /** FDB: VTEP MAC → node (outer) IP. */
  readonly fdb: ReadonlyMap<string, string>
  /** ARP: tunnel IP → VTEP MAC. */
  readonly arp: ReadonlyMap<string, string>
  /** Routes by destination CIDR. */
  readonly routes: ReadonlyMap<string, RouteSpec>
  readonly nat: NatSets
  /** Human-readable reasons for everything that was skipped (for debug logs; deterministic). */
  readonly problems: readonly string[]
}

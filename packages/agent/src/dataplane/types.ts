/**
 * Shapes shared by the VXLAN manager and its drivers: the dataplane config, the kernel state we
 * track and the minimal operations a driver issues.
 */

/** VXLAN dataplane settings (Calico defaults). */
export interface VxlanDataplaneConfig {
  /** Name of our VXLAN device. @default 'vxlan.calico' */
  readonly deviceName: string
  /** VXLAN network identifier. @default 4096 */
  readonly vni: number
  /** UDP destination port. @default 4789 */
  readonly port: number
  /** Device MTU in bytes; 0 = the parent's MTU − 50. @default 0 */
  readonly mtu: number
  /** Route protocol number that marks OUR routes (any device) in the main table. @default 80 */
  readonly routeProtocol: number
  /**
   * Change sets larger than this go through `ip -batch`/`bridge -batch`; the others through
   * netlink (pipelined, any size: the fastest way, drivers/netlink-writer.ts). 0 = always batch.
   * @default 1000000
   */
  readonly netlinkMaxOps: number
  /**
   * Netlink requests sent and not yet acknowledged, at most; also bounded by what the socket's
   * receive buffer holds should every one of them fail (SO_RCVBUF / 1 KiB). @default 1024
   */
  readonly netlinkMaxInFlight: number
  /** SO_RCVBUF of the netlink socket in bytes (kernel doubles it). @default 4 MiB */
  readonly netlinkRecvBufferBytes: number
  /** A netlink apply fails (and the socket is recreated) after this long without an ack, ms. @default 5000 */
  readonly netlinkTimeoutMs: number
  /** Use netlink for change sets (up to netlinkMaxOps); false = iproute2 only. @default true */
  readonly useNetlink: boolean
}

/** Defaults for {@link VxlanDataplaneConfig}. */
export const DEFAULT_VXLAN_DATAPLANE_CONFIG: VxlanDataplaneConfig = Object.freeze({
  deviceName: 'vxlan.calico',
  vni: 4096,
  port: 4789,
  mtu: 0,
  routeProtocol: 80,
  netlinkMaxOps: 1_000_000,
  netlinkMaxInFlight: 1024,
  netlinkRecvBufferBytes: 4 << 20,
  netlinkTimeoutMs: 5000,
  useNetlink: true,
})

/** VXLAN header overhead subtracted from the parent MTU (IPv4). */
export const VXLAN_MTU_OVERHEAD_BYTES = 50

/** A route as the driver programs it (desired) or found it (actual, owned). */
export interface KernelRoute {
  /** Canonical IPv4 CIDR. */
  readonly dst: string
  readonly type: 'unicast' | 'blackhole'
  /** Next hop (onlink) for unicast routes. */
  readonly gateway?: string
  /** Output device name for unicast routes. */
  readonly dev?: string
  readonly protocol: number
}

/** What the driver believes the kernel holds of OUR entries. */
export interface KernelVxlanState {
  /** FDB on our device: MAC → remote node IP. */
  readonly fdb: Map<string, string>
  /** Permanent ARP on our device: tunnel IP → MAC. */
  readonly arp: Map<string, string>
  /** Our routes in the main table by dst. */
  readonly routes: Map<string, KernelRoute>
  /** Destinations held by routes that are NOT ours (we never replace or delete them). */
  readonly foreignRoutes: Set<string>
}

/** One minimal change. `set` = create-or-replace; `add` = create only (fails if present). */
export type VxlanOp =
  | { readonly op: 'fdb-set'; readonly mac: string; readonly dst: string }
  | { readonly op: 'fdb-del'; readonly mac: string; readonly dst: string }
  | { readonly op: 'arp-set'; readonly ip: string; readonly mac: string }
  | { readonly op: 'arp-del'; readonly ip: string; readonly mac: string }
  | { readonly op: 'route-add'; readonly route: KernelRoute }
  | { readonly op: 'route-set'; readonly route: KernelRoute }
  | { readonly op: 'route-del'; readonly route: KernelRoute }

/** Interface indexes the netlink writer needs. */
export interface LinkIndexes {
  readonly device: number
  /** ifindex by interface name (at least our device and the parent). */
  readonly byName: ReadonlyMap<string, number>
}

/** Outcome of one `apply()`. */
export interface ApplyResult {
  /** `waiting`: nothing to program yet (our own VTEP unknown); the kernel was not touched. */
  readonly status: 'programmed' | 'waiting'
  /** Number of kernel changes issued (0 = nothing to do). */
  readonly changes: number
  /** How the changes went out. */
  readonly mode: 'none' | 'netlink' | 'batch'
  /** True when this apply re-read the kernel (full resync). */
  readonly resynced: boolean
}

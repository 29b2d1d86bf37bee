/**
 * Reads the kernel through iproute2 JSON dumps and keeps only what we own (see vxlan-diff.ts for
 * the ownership rules). `-N` makes `ip` print protocols and types as numbers; a missing protocol
 * means RTPROT_BOOT (3) and a missing type means unicast.
 */
import { parseCidr4, formatCidr4 } from '../../calc/ip.js'
import { normalizeMac } from '../../calc/mac.js'
import { isOwnedRoute } from '../vxlan-diff.js'
import type { KernelRoute, KernelVxlanState } from '../types.js'
import type { Iproute2 } from './iproute2.js'

/** One element of `ip -j -N -4 route show table main`. */
export interface IpRouteJson {
  readonly dst: string
  readonly type?: string
  readonly gateway?: string
  readonly dev?: string
  readonly protocol?: string
  readonly metric?: number
  readonly flags?: readonly string[]
}

/** One element of `ip -j -4 neigh show dev X`. */
export interface IpNeighJson {
  readonly dst: string
  readonly lladdr?: string
  readonly state?: readonly string[]
}

/** One element of `bridge -j fdb show dev X`. */
export interface BridgeFdbJson {
  readonly mac: string
  readonly dst?: string
  readonly flags?: readonly string[]
  readonly state?: string
}

const RTPROT_BOOT = 3
const RTN_BLACKHOLE = '6'

/** Splits a route dump into our routes and the destinations of foreign metric-0 routes. */
export function parseRoutes(
  dump: readonly IpRouteJson[],
  deviceName: string,
  protocol: number
): { readonly owned: Map<string, KernelRoute>; readonly foreign: Set<string> } {
  const owned = new Map<string, KernelRoute>()
  const foreign = new Set<string>()
  for (const r of dump) {
    const c = parseCidr4(r.dst === 'default' ? '0.0.0.0/0' : r.dst)
    if (c === undefined) continue
    const dst = formatCidr4(c)
    const proto = r.protocol === undefined ? RTPROT_BOOT : Number(r.protocol)
    const type = r.type === undefined ? 'unicast' : r.type === RTN_BLACKHOLE ? 'blackhole' : 'other'
    if (
      type !== 'other' &&
      isOwnedRoute(
        { ...(r.dev !== undefined && { dev: r.dev }), protocol: proto },
        deviceName,
        protocol
      )
    ) {
      owned.set(dst, {
        dst,
        type,
        ...(type === 'unicast' && r.gateway !== undefined && { gateway: r.gateway }),
        ...(type === 'unicast' && r.dev !== undefined && { dev: r.dev }),
        protocol: proto,
      })
    } else if (type === 'other' && proto === protocol) {
      // Ours by protocol but of a type we never make: keep it owned so it gets deleted.
      owned.set(dst, {
        dst,
        type: 'unicast',
        protocol: proto,
        ...(r.dev !== undefined && { dev: r.dev }),
      })
    } else if ((r.metric ?? 0) === 0) {
      foreign.add(dst)
    }
  }
  return { owned, foreign }
}

/** Permanent ARP entries (tunnel IP → MAC) of our device. */
export function parseArp(dump: readonly IpNeighJson[]): Map<string, string> {
  const arp = new Map<string, string>()
  for (const n of dump) {
    if (n.lladdr === undefined || !(n.state ?? []).includes('PERMANENT')) continue
    const mac = normalizeMac(n.lladdr)
    if (mac !== undefined) arp.set(n.dst, mac)
  }
  return arp
}

/** Permanent FDB entries (MAC → remote IP) of our device. */
export function parseFdb(dump: readonly BridgeFdbJson[]): Map<string, string> {
  const fdb = new Map<string, string>()
  for (const e of dump) {
    if (e.state !== 'permanent' || e.dst === undefined) continue
    const mac = normalizeMac(e.mac)
    if (mac !== undefined) fdb.set(mac, e.dst)
  }
  return fdb
}

/**
 * Dumps FDB, ARP and routes concurrently and returns our share of them. With `deviceIsNew` (we
 * just created the device, so nothing can be on it) only routes are dumped: stale routes of ours
 * (by protocol) may still sit on other devices and must be found and deleted.
 */
export async function dumpKernelState(
  ip: Iproute2,
  deviceName: string,
  protocol: number,
  signal?: AbortSignal,
  deviceIsNew = false
): Promise<KernelVxlanState> {
  const [routes, neigh, fdb] = await Promise.all([
    ip.json<IpRouteJson>('ip', ['-N', '-4', 'route', 'show', 'table', 'main'], signal),
    deviceIsNew
      ? ([] as IpNeighJson[])
      : ip.json<IpNeighJson>('ip', ['-4', 'neigh', 'show', 'dev', deviceName], signal),
    deviceIsNew
      ? ([] as BridgeFdbJson[])
      : ip.json<BridgeFdbJson>('bridge', ['fdb', 'show', 'dev', deviceName], signal),
  ])
  const r = parseRoutes(routes, deviceName, protocol)
  return { fdb: parseFdb(fdb), arp: parseArp(neigh), routes: r.owned, foreignRoutes: r.foreign }
}

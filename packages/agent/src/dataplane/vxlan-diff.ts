/**
 * Pure helpers of the VXLAN driver: desired state → kernel routes, desired vs actual → minimal
 * ops (in dependency order), ops → iproute2 batch lines, and the ownership rules.
 *
 * Ownership (what a resync may delete): routes in the main table with OUR protocol on any device,
 * and routes on OUR device with any protocol but `kernel` (the kernel's own subnet routes);
 * permanent ARP and FDB entries on OUR device. Everything else is foreign and never touched: a
 * desired route whose destination is held by a foreign route is skipped (`conflicts`), and new
 * routes are created with "add" (not "replace") so a foreign route that appeared since the last
 * resync makes the add fail instead of being overwritten.
 */
import type { RouteSpec, VxlanState } from '../calc/types.js'
import type { KernelRoute, KernelVxlanState, VxlanOp } from './types.js'

/** RTPROT_KERNEL: routes the kernel made for an address; never ours. */
export const RTPROT_KERNEL = 2

/** The kernel route for a desired route spec. */
export function kernelRouteFor(
  r: RouteSpec,
  deviceName: string,
  parentName: string,
  protocol: number
): KernelRoute {
  switch (r.kind) {
    case 'vxlan':
      return { dst: r.dst, type: 'unicast', gateway: r.gateway, dev: deviceName, protocol }
    case 'noencap':
      return { dst: r.dst, type: 'unicast', gateway: r.gateway, dev: parentName, protocol }
    case 'blackhole':
      return { dst: r.dst, type: 'blackhole', protocol }
  }
}

/** True when a route found in the main table belongs to us. */
export function isOwnedRoute(
  r: { readonly dev?: string; readonly protocol: number },
  deviceName: string,
  protocol: number
): boolean {
  return r.protocol === protocol || (r.dev === deviceName && r.protocol !== RTPROT_KERNEL)
}

/** Equality of two kernel routes (all programmed fields). */
export function sameRoute(a: KernelRoute, b: KernelRoute): boolean {
  if (a === b) return true
  return (
    a.type === b.type &&
    a.gateway === b.gateway &&
    a.dev === b.dev &&
    a.protocol === b.protocol &&
    a.dst === b.dst
  )
}

/** Desired kernel state derived from a VxlanState. */
export interface DesiredKernel {
  readonly fdb: ReadonlyMap<string, string>
  readonly arp: ReadonlyMap<string, string>
  readonly routes: ReadonlyMap<string, KernelRoute>
}

/** Renders the kernel routes for `state` (routes via the parent need its name). */
export function desiredKernel(
  state: VxlanState,
  deviceName: string,
  parentName: string,
  protocol: number,
  cache?: WeakMap<RouteSpec, KernelRoute>
): DesiredKernel {
  const routes = new Map<string, KernelRoute>()
  for (const [dst, r] of state.routes) {
    // The calc keeps unchanged RouteSpec objects, so the cache turns a 10k-route rebuild into lookups.
    let k = cache?.get(r)
    if (k === undefined) {
      k = kernelRouteFor(r, deviceName, parentName, protocol)
      cache?.set(r, k)
    }
    routes.set(dst, k)
  }
  return { fdb: state.fdb, arp: state.arp, routes }
}

/** Result of {@link diffVxlan}. */
export interface VxlanDiff {
  /** Ops in dependency order: deletions (routes, ARP, FDB), then FDB, ARP, routes. */
  readonly ops: VxlanOp[]
  /** Desired destinations skipped because a foreign route holds them. */
  readonly conflicts: string[]
}

/** Computes the minimal ops that turn `actual` into `want`. */
export function diffVxlan(want: DesiredKernel, actual: KernelVxlanState): VxlanDiff {
  const routeDels: VxlanOp[] = []
  const arpDels: VxlanOp[] = []
  const fdbDels: VxlanOp[] = []
  const fdbSets: VxlanOp[] = []
  const arpSets: VxlanOp[] = []
  const routeSets: VxlanOp[] = []
  const conflicts: string[] = []
  for (const [dst, have] of actual.routes) {
    if (!want.routes.has(dst)) routeDels.push({ op: 'route-del', route: have })
  }
  for (const [ip, mac] of actual.arp)
    if (!want.arp.has(ip)) arpDels.push({ op: 'arp-del', ip, mac })
  for (const [mac, dst] of actual.fdb)
    if (!want.fdb.has(mac)) fdbDels.push({ op: 'fdb-del', mac, dst })
  for (const [mac, dst] of want.fdb)
    if (actual.fdb.get(mac) !== dst) fdbSets.push({ op: 'fdb-set', mac, dst })
  for (const [ip, mac] of want.arp)
    if (actual.arp.get(ip) !== mac) arpSets.push({ op: 'arp-set', ip, mac })
  for (const [dst, r] of want.routes) {
    const have = actual.routes.get(dst)
    if (have === undefined) {
      if (actual.foreignRoutes.has(dst)) conflicts.push(dst)
      else routeSets.push({ op: 'route-add', route: r })
    } else if (!sameRoute(have, r)) {
      // A change of type (unicast ↔ blackhole) cannot be replaced in place reliably: delete first.
      if (have.type !== r.type) routeDels.push({ op: 'route-del', route: have })
      routeSets.push({ op: have.type !== r.type ? 'route-add' : 'route-set', route: r })
    }
  }
  return {
    ops: [...routeDels, ...arpDels, ...fdbDels, ...fdbSets, ...arpSets, ...routeSets],
    conflicts,
  }
}

/** Applies successfully issued ops to the tracked kernel state. */
export function recordOps(actual: KernelVxlanState, ops: readonly VxlanOp[]): void {
  for (const o of ops) {
    switch (o.op) {
      case 'fdb-set':
        actual.fdb.set(o.mac, o.dst)
        break
      case 'fdb-del':
        actual.fdb.delete(o.mac)
        break
      case 'arp-set':
        actual.arp.set(o.ip, o.mac)
        break
      case 'arp-del':
        actual.arp.delete(o.ip)
        break
      case 'route-add':
      case 'route-set':
        actual.routes.set(o.route.dst, o.route)
        break
      case 'route-del':
        actual.routes.delete(o.route.dst)
        break
    }
  }
}

function routeArgs(r: KernelRoute): string {
  if (r.type === 'blackhole') return `blackhole ${r.dst} proto ${r.protocol}`
  return `${r.dst} via ${r.gateway ?? ''} dev ${r.dev ?? ''} onlink proto ${r.protocol}`
}

/** Batch lines for `ip -force -batch -` (neighbours and routes) and `bridge -force -batch -` (FDB). */
export function renderBatches(
  ops: readonly VxlanOp[],
  deviceName: string
): { readonly ip: string[]; readonly bridge: string[] } {
  const ip: string[] = []
  const bridge: string[] = []
  for (const o of ops) {
    switch (o.op) {
      case 'fdb-set':
        bridge.push(`fdb replace ${o.mac} dev ${deviceName} dst ${o.dst} self permanent`)
        break
      case 'fdb-del':
        bridge.push(`fdb del ${o.mac} dev ${deviceName} dst ${o.dst} self`)
        break
      case 'arp-set':
        ip.push(`neigh replace ${o.ip} lladdr ${o.mac} dev ${deviceName} nud permanent`)
        break
      case 'arp-del':
        ip.push(`neigh del ${o.ip} dev ${deviceName}`)
        break
      case 'route-add':
        ip.push(`route add ${routeArgs(o.route)}`)
        break
      case 'route-set':
        ip.push(`route replace ${routeArgs(o.route)}`)
        break
      case 'route-del':
        ip.push(
          o.route.type === 'blackhole'
            ? `route del blackhole ${o.route.dst} proto ${o.route.protocol}`
            : `route del ${o.route.dst}${o.route.dev === undefined ? '' : ` dev ${o.route.dev}`} proto ${o.route.protocol}`
        )
        break
    }
  }
  return { ip, bridge }
}

/**
 * Like {@link diffVxlan}, but only for the given keys (the calc's fast path reports them); every
 * other entry is known to be unchanged. Same op order and foreign-route rule.
 */
export function diffVxlanKeys(
  want: {
    readonly fdb: ReadonlyMap<string, string>
    readonly arp: ReadonlyMap<string, string>
    readonly route: (dst: string) => KernelRoute | undefined
  },
  actual: KernelVxlanState,
  keys: {
    readonly fdb: ReadonlySet<string>
    readonly arp: ReadonlySet<string>
    readonly routes: ReadonlySet<string>
  }
): VxlanDiff {
  const wantRoutes = new Map<string, KernelRoute>()
  const haveRoutes = new Map<string, KernelRoute>()
  const foreign = new Set<string>()
  for (const dst of keys.routes) {
    const w = want.route(dst)
    if (w !== undefined) wantRoutes.set(dst, w)
    const h = actual.routes.get(dst)
    if (h !== undefined) haveRoutes.set(dst, h)
    if (actual.foreignRoutes.has(dst)) foreign.add(dst)
  }
  const pick = (m: ReadonlyMap<string, string>, ks: ReadonlySet<string>): Map<string, string> => {
    const out = new Map<string, string>()
    for (const k of ks) {
      const v = m.get(k)
      if (v !== undefined) out.set(k, v)
    }
    return out
  }
  return diffVxlan(
    { fdb: pick(want.fdb, keys.fdb), arp: pick(want.arp, keys.arp), routes: wantRoutes },
    {
      fdb: pick(actual.fdb, keys.fdb),
      arp: pick(actual.arp, keys.arp),
      routes: haveRoutes,
      foreignRoutes: foreign,
    }
  )
}

/**
 * The agent's JSON `/status` (on the health port, beside `/liveness` and `/readiness`): one
 * document an operator or `cattail status --agent` reads to see why a node is not ready: sync
 * state, dataplane state and the destinations foreign routes block.
 */
import type { KernelRoute } from './dataplane/types.js'

/** A destination we want to route that a foreign route holds. */
export interface BlockedRoute {
  /** The destination CIDR. */
  readonly dst: string
  /** What we would program there, e.g. `via 198.19.2.1 dev vxlan.calico` or `blackhole`. */
  readonly wanted: string
}

/** The body of `GET /status` (JSON). */
export interface AgentStatusReport {
  readonly nodeName: string
  readonly live: boolean
  readonly liveness: string
  readonly ready: boolean
  readonly readiness: string
  /** Connected to a cache and in sync. */
  readonly inSync: boolean
  readonly connected: boolean
  /** The cache's sync status as last reported. */
  readonly syncStatus: string
  /** The dataplane loop's status (`programmed`, `waiting`, `error`, …). */
  readonly dataplane: string
  /** The policy dataplane loop's status (absent when policy is off). */
  readonly policyDataplane?: string
  /** Sorted by destination. */
  readonly blockedRoutes: readonly BlockedRoute[]
}

/** Renders blocked destinations for the status document (sorted, so output is stable). */
export function blockedRouteList(blocked: ReadonlyMap<string, KernelRoute>): BlockedRoute[] {
  return [...blocked.values()]
    .map((r) => ({
      dst: r.dst,
      wanted:
        r.type === 'blackhole'
          ? 'blackhole'
          : `via ${r.gateway ?? '?'}${r.dev === undefined ? '' : ` dev ${r.dev}`}`,
    }))
    .sort((a, b) => (a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0))
}

/** The readiness detail with blocked destinations appended (at most 5 named). */
export function withBlockedDetail(detail: string, blocked: readonly BlockedRoute[]): string {
  if (blocked.length === 0) return detail
  const names = blocked.slice(0, 5).map((b) => b.dst)
  const more = blocked.length > names.length ? `, … (${blocked.length} in all)` : ''
  return `${detail}; ${blocked.length} destination(s) blocked by foreign routes: ${names.join(', ')}${more}`
}

/**
 * Connection limits and shutdown pacing as pure functions (Typha's `rebalance.go` and
 * `ShutDownGracefully`).
 */

/** Inputs of {@link computeMaxConnections}. */
export interface ConnectionLimitInputs {
  /** Floor of the result. Typha: 400. */
  readonly lower: number
  /** Ceiling of the result, and the limit of a lone replica. Typha: 10000. */
  readonly upper: number
  /** Connections each agent opens (syncer types served). cattail: 1. */
  readonly syncerTypes: number
  /** Agents in the cluster (local Node count). */
  readonly nodes: number
  /** Cache replicas serving the cluster. */
  readonly replicas: number
}

/**
 * The connection limit of one replica:
 * `max(lower, syncerTypes × (1 + nodes × (100+20) / (replicas−1) / 100))`, capped at `upper`.
 * One replica is subtracted so the rest can absorb a replica that dies during a rolling upgrade,
 * plus 20 % headroom. With `replicas ≤ 1` the replica is alone and gets `upper`.
 *
 * Example (Typha's test): 5 replicas, 100 nodes, 3 syncer types, lower 0 → 93.
 */
export function computeMaxConnections(i: ConnectionLimitInputs): number {
  if (i.replicas <= 1) return i.upper
  const perReplica = Math.floor((i.nodes * (100 + 20)) / (i.replicas - 1) / 100)
  const target = Math.max(i.lower, i.syncerTypes * (1 + perReplica))
  return Math.min(i.upper, target)
}

/**
 * Gap between two disconnects during a graceful shutdown: the drain spreads over 95 % of
 * `shutdownTimeoutMs`, at most `maxIntervalMs` apart.
 */
export function shutdownDropIntervalMs(
  shutdownTimeoutMs: number,
  connections: number,
  maxIntervalMs: number
): number {
  if (connections <= 0) return 0
  return Math.min(maxIntervalMs, (shutdownTimeoutMs * 95) / 100 / connections)
}

/**
 * @module @cattail/cache: the `cattail cache` daemon (Typha's role): a snapshot cache fed by a
 * syncer, a WebSocket fan-out server that streams one shared compressed snapshot and then
 * deltas to every agent, health (`/liveness`, `/readiness`) and Prometheus metrics.
 *
 * @example
 * ```ts
 * import { Command } from 'commander'
 * import { cacheCommand } from '@cattail/cache'
 * new Command('cattail').addCommand(cacheCommand()).parseAsync()
 *
 * // or in-process (tests):
 * const cache = new SnapshotCache(DEFAULT_SNAPSHOT_CACHE_CONFIG, encodeCachedKvTransient, log)
 * const server = new SyncServer({ ...DEFAULT_SYNC_SERVER_CONFIG, host: '127.0.0.1', port: 0 }, cache, log)
 * await server.start()
 * syncer = createSyncer(ds, opts, cache) // the cache implements SyncerCallbacks
 * ```
 */
export * from './errors.js'
export * from './config.js'
export * from './daemon.js'
export * from './command.js'
export { Breadcrumb, type BreadcrumbInit } from './snapcache/breadcrumb.js'
export {
  wouldBeNoOp,
  type CachedKv,
  type KvEncoder,
  type RemoteState,
} from './snapcache/cached-kv.js'
export { encodeCachedKv, encodeCachedKvTransient } from './snapcache/kv-encoding.js'
export * from './snapcache/snapshot-cache.js'
export * from './syncserver/server-config.js'
export * from './syncserver/connection-limits.js'
export * from './syncserver/tls-identity.js'
export {
  SyncServer,
  SYNC_SERVER_HEALTH_NAME,
  type SyncServerOptions,
  type SyncServerStats,
} from './syncserver/sync-server.js'
export type { ConnectionState, CloseCause } from './syncserver/connection.js'
export * from './health/health-aggregator.js'
export * from './health/health-server.js'
export * from './health/cache-status.js'
export * from './metrics/cache-metrics.js'
export * from './metrics/metrics-server.js'
export {
  ServiceReplicaCounter,
  readyReplicaCount,
  type ReplicaCounterConfig,
} from './syncserver/replica-count.js'

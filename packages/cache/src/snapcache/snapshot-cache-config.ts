/**
 * What the snapshot cache serves and how it is configured: the kinds agents receive, the cache's
 * settings and defaults, and the snapshot a joiner gets.
 */
import type { ResourceKind } from '@cattail/model'
import type { CacheMetrics } from '../metrics/cache-metrics.js'
import type { Breadcrumb } from './breadcrumb.js'
import type { CachedKv } from './cached-kv.js'

/** The kinds the cache serves to agents. Never Secrets or RemoteClusterConfigurations. */
export const CACHE_KINDS: ReadonlySet<ResourceKind> = new Set<ResourceKind>([
  'WorkloadEndpoint',
  'HostEndpoint',
  'Profile',
  'Node',
  'IPPool',
  'IPAMBlock',
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'Tier',
  'NetworkSet',
  'GlobalNetworkSet',
  'RemoteClusterStatus',
])

/** Settings of the snapshot cache. */
export interface SnapshotCacheConfig {
  /** Max deltas per breadcrumb. @default 100 */
  readonly maxBatchSize: number
  /**
   * Publish at most once per this many ms while input keeps arriving: input within the window
   * after a publish waits for the window's end and goes out as one batch; input after a quiet
   * window is published on the next tick. 0 = every tick. @default 5
   */
  readonly batchWindowMs: number
  /** Resume window: max encoded delta bytes held by retained crumbs. @default 64 MiB */
  readonly retainBytes: number
  /** Resume window: max age of a retained crumb, in ms. @default 600000 (10 min) */
  readonly retainMs: number
}

/** Defaults for {@link SnapshotCacheConfig}. */
export const DEFAULT_SNAPSHOT_CACHE_CONFIG: SnapshotCacheConfig = {
  maxBatchSize: 100,
  batchWindowMs: 5,
  retainBytes: 64 * 1024 * 1024,
  retainMs: 10 * 60_000,
}

/** The state at one crumb, materialised for joiners. */
export interface CacheSnapshot {
  /** The crumb this snapshot equals; the joiner follows deltas from its successor. */
  readonly crumb: Breadcrumb
  /** Every KV at that crumb (no deletions), each as its shared encoding. */
  readonly entries: readonly CachedKv[]
}

/** Optional collaborators of the cache. */
export interface SnapshotCacheOptions {
  readonly metrics?: CacheMetrics
  /** Clock, ms since the Unix epoch. @default Date.now */
  readonly nowMs?: () => number
  /** Fixed epoch (tests). @default 16 random hex digits */
  readonly epoch?: string
}

/**
 * An in-process cache + sync server on 127.0.0.1:0 fed by a {@link FakeSyncer}, with helpers to
 * connect test clients (Typha's fv-test harness).
 */
import { createSilentLogger, type Logger } from '@cattail/common'
import { CacheMetrics } from '../metrics/cache-metrics.js'
import { encodeCachedKv } from '../snapcache/kv-encoding.js'
import {
  DEFAULT_SNAPSHOT_CACHE_CONFIG,
  SnapshotCache,
  type SnapshotCacheConfig,
} from '../snapcache/snapshot-cache.js'
import { DEFAULT_SYNC_SERVER_CONFIG, type SyncServerConfig } from '../syncserver/server-config.js'
import { SyncServer } from '../syncserver/sync-server.js'
import { FakeSyncer } from './fake-syncer.js'
import { TestClient, type TestClientOptions } from './test-client.js'

/** A running harness. */
export interface Harness {
  readonly cache: SnapshotCache
  readonly syncer: FakeSyncer
  readonly server: SyncServer
  readonly metrics: CacheMetrics
  readonly url: string
  /** Connects a client (closed by `stop()`). */
  connect(opts?: Omit<TestClientOptions, 'url'>): Promise<TestClient>
  /** Closes every client and stops the server. */
  stop(): Promise<void>
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  readonly server?: Partial<SyncServerConfig>
  readonly cache?: Partial<SnapshotCacheConfig>
  readonly log?: Logger
}

/** Starts a cache (batches of 10 to force many crumbs) and a server on a free loopback port. */
export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const log = opts.log ?? createSilentLogger()
  const metrics = new CacheMetrics(false)
  const cache = new SnapshotCache(
    { ...DEFAULT_SNAPSHOT_CACHE_CONFIG, maxBatchSize: 10, ...opts.cache },
    encodeCachedKv,
    log,
    { metrics }
  )
  const syncer = new FakeSyncer(cache)
  await syncer.start()
  const server = new SyncServer(
    {
      ...DEFAULT_SYNC_SERVER_CONFIG,
      host: '127.0.0.1',
      port: 0,
      dropIntervalMs: 50,
      ...opts.server,
    },
    cache,
    log,
    { metrics }
  )
  await server.start()
  const url = `${opts.server?.tls !== undefined ? 'wss' : 'ws'}://127.0.0.1:${server.port}/`
  const clients: TestClient[] = []
  return {
    cache,
    syncer,
    server,
    metrics,
    url,
    connect: async (o = {}) => {
      const c = await TestClient.connect({ url, ...o })
      clients.push(c)
      return c
    },
    stop: async () => {
      await Promise.all(clients.map((c) => c.close()))
      await server.stop()
      cache.stop()
    },
  }
}

/**
 * Composition root of `cattail cache`: maps the process config onto component configs and wires
 * syncer → snapshot cache → sync server, plus health and metrics. The only place adapters are
 * constructed.
 *
 * ```
 *  syncerFactory(cache) ──▶ SnapshotCache ──▶ SyncServer ──▶ agents
 *                               │                 │
 *                HealthAggregator (snapcache: ready = in-sync; syncserver: live)
 *                               └──▶ HealthServer :9098    CacheMetrics ──▶ MetricsServer :9093
 * ```
 */
import { readFile } from 'node:fs/promises'
import { createRootLogger, errorMessage, type Logger, type Startable } from '@cattail/common'
import {
  createMeshSyncer,
  createSyncer,
  type DatastoreConfig,
  type EtcdTls,
  type Syncer,
  type SyncerCallbacks,
} from '@cattail/datastore'
import { configLogFields, type CacheConfig } from './config.js'
import { buildCacheStatus } from './health/cache-status.js'
import { HealthAggregator } from './health/health-aggregator.js'
import { HealthServer } from './health/health-server.js'
import { CacheMetrics } from './metrics/cache-metrics.js'
import { MetricsServer } from './metrics/metrics-server.js'
import { encodeCachedKvTransient } from './snapcache/kv-encoding.js'
import { CACHE_KINDS, SnapshotCache } from './snapcache/snapshot-cache.js'
import { ServiceReplicaCounter } from './syncserver/replica-count.js'
import { SyncServer } from './syncserver/sync-server.js'
import { TlsFileError } from './errors.js'

/**
 * Builds the syncer that feeds the cache. The default watches the local datastore with
 * `createSyncer`; the combined local+remote mesh syncer plugs in here.
 */
export type SyncerFactory = (
  cfg: CacheConfig,
  callbacks: SyncerCallbacks,
  log: Logger
) => Syncer | Promise<Syncer>

/** Name under which the cache reports health. */
export const CACHE_HEALTH_NAME = 'snapcache'

/** Collaborators of the daemon (all optional). */
export interface CacheDaemonOptions {
  /** @default createSyncer on the local datastore (see {@link defaultSyncerFactory}) */
  readonly syncerFactory?: SyncerFactory
  readonly metrics?: CacheMetrics
}

/**
 * The replica counter for `--cache-service`, over the cache's kubeconfig (kubernetes datastore)
 * or the in-cluster service account; undefined when not configured.
 */
function replicaCounterOf(cfg: CacheConfig, log: Logger): ServiceReplicaCounter | undefined {
  const svc = cfg.server.cacheService
  if (svc === undefined) return undefined
  const [namespace = '', service = ''] = svc.split('/')
  const ds = cfg.datastore
  return new ServiceReplicaCounter(
    {
      kubeconfig:
        ds.type === 'kubernetes' && ds.kubeconfig !== undefined
          ? { kind: 'path', path: ds.kubeconfig }
          : { kind: 'in-cluster' },
      namespace,
      service,
      intervalMs: cfg.server.replicaPollIntervalMs,
      requestTimeoutMs: 10_000,
    },
    log
  )
}

/** Maps the CLI datastore settings onto a DatastoreConfig, reading the etcd TLS files. */
export async function datastoreConfigOf(cfg: CacheConfig): Promise<DatastoreConfig> {
  const ds = cfg.datastore
  switch (ds.type) {
    case 'kubernetes':
      return {
        type: 'kubernetes',
        kubeconfig:
          ds.kubeconfig !== undefined
            ? { kind: 'path', path: ds.kubeconfig }
            : { kind: 'in-cluster' },
      }
    case 'file':
      return { type: 'file', dir: ds.dir }
    case 'etcdv3': {
      const read = async (f: string | undefined): Promise<string | undefined> => {
        if (f === undefined) return undefined
        try {
          return await readFile(f, 'utf8')
        } catch (err) {
          throw new TlsFileError(f, err)
        }
      }
      const [ca, cert, key] = await Promise.all([
        read(ds.caFile),
        read(ds.certFile),
        read(ds.keyFile),
      ])
      const tls: EtcdTls | undefined =
        ca === undefined && cert === undefined
          ? undefined
          : {
              ...(ca !== undefined && { ca }),
              ...(cert !== undefined && { cert }),
              ...(key !== undefined && { key }),
            }
      return {
        type: 'etcdv3',
        endpoints: ds.endpoints,
        ...(ds.username !== undefined && { username: ds.username }),
        ...(ds.password !== undefined && { password: ds.password }),
        ...(tls !== undefined && { tls }),
      }
    }
  }
}

/**
 * The default {@link SyncerFactory}: the mesh syncer (the local datastore plus one connection per
 * RemoteClusterConfiguration, remote keys prefixed `<rcc>/`, status KVs per remote), restricted to
 * {@link CACHE_KINDS}; with `--remote-clusters false`, the local datastore alone.
 */
export const defaultSyncerFactory: SyncerFactory = async (cfg, callbacks, log) => {
  const ds = await datastoreConfigOf(cfg)
  const syncerLog = log.child({ component: 'syncer' })
  if (!cfg.remotes.enabled)
    return createSyncer(ds, { kinds: CACHE_KINDS, log: syncerLog }, callbacks)
  return createMeshSyncer(
    ds,
    {
      kinds: CACHE_KINDS,
      log: syncerLog,
      secretsNamespace: cfg.remotes.secretsNamespace,
      remoteInSyncTimeoutMs: cfg.remotes.inSyncTimeoutMs,
      allowRemoteKubeconfigExec: cfg.remotes.allowKubeconfigExec,
      serviceCidrs: cfg.remotes.serviceCidrs,
      remoteObjectLimit: cfg.remotes.objectLimit,
    },
    callbacks
  )
}

/** The whole cache daemon. */
export class CacheDaemon implements Startable {
  readonly metrics: CacheMetrics
  readonly health = new HealthAggregator()
  readonly cache: SnapshotCache
  readonly server: SyncServer
  readonly #log: Logger
  readonly #healthServer: HealthServer | undefined
  readonly #metricsServer: MetricsServer | undefined
  readonly #syncerFactory: SyncerFactory
  #syncer: Syncer | undefined
  readonly #replicas: ServiceReplicaCounter | undefined
  #healthTimer: NodeJS.Timeout | undefined
  #unsubscribe: (() => void) | undefined

  constructor(
    private readonly cfg: CacheConfig,
    log: Logger,
    opts: CacheDaemonOptions = {}
  ) {
    this.#log = log
    this.metrics = opts.metrics ?? new CacheMetrics()
    this.#syncerFactory = opts.syncerFactory ?? defaultSyncerFactory
    this.cache = new SnapshotCache(cfg.cache, encodeCachedKvTransient, log, {
      metrics: this.metrics,
    })
    this.#replicas = replicaCounterOf(cfg, log)
    const replicas = this.#replicas
    this.server = new SyncServer(cfg.server, this.cache, log, {
      metrics: this.metrics,
      health: this.health,
      ...(replicas !== undefined && { replicaCount: () => replicas.count }),
    })
    this.health.register(CACHE_HEALTH_NAME, {
      live: true,
      ready: true,
      timeoutMs: cfg.healthIntervalMs * 2,
    })
    this.#healthServer = cfg.health.enabled
      ? new HealthServer(cfg.health, this.health, log, () =>
          buildCacheStatus({
            status: this.cache.status,
            latestSeq: this.cache.latest.seq,
            size: this.cache.size,
            remotes: this.cache.remotes,
            since: (name) => this.metrics.remoteStateSince(name),
            connections: this.server.connections,
          })
        )
      : undefined
    this.#metricsServer = cfg.metrics.enabled
      ? new MetricsServer(cfg.metrics, this.metrics, log)
      : undefined
  }

  /** The running syncer (after start). */
  get syncer(): Syncer | undefined {
    return this.#syncer
  }

  /** Port of the health server (after start; 0 when disabled). */
  get healthPort(): number {
    return this.#healthServer?.port ?? 0
  }

  /** Port of the metrics server (after start; 0 when disabled). */
  get metricsPort(): number {
    return this.#metricsServer?.port ?? 0
  }

  /** Starts health, metrics, the sync server, then the syncer. On failure, stops what started. */
  async start(): Promise<void> {
    try {
      this.#reportHealth()
      this.#unsubscribe = this.cache.onStatusChange(() => this.#reportHealth())
      this.#healthTimer = setInterval(() => this.#reportHealth(), this.cfg.healthIntervalMs)
      await this.#healthServer?.start()
      await this.#metricsServer?.start()
      await this.server.start()
      this.#replicas?.start()
      this.#syncer = await this.#syncerFactory(this.cfg, this.cache, this.#log)
      await this.#syncer.start()
      this.#log.info({ epoch: this.cache.epoch, port: this.server.port }, 'cache daemon started')
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  /** Graceful shutdown: spread disconnects over the drain period, then stop everything. */
  async drain(): Promise<void> {
    await this.server.drain()
    await this.stop()
  }

  /** Stops everything at once. Idempotent. */
  async stop(): Promise<void> {
    clearInterval(this.#healthTimer)
    this.#replicas?.stop()
    this.#unsubscribe?.()
    const syncer = this.#syncer
    this.#syncer = undefined
    await syncer?.stop()
    this.cache.stop()
    await this.server.stop()
    await this.#metricsServer?.stop()
    await this.#healthServer?.stop()
  }

  #reportHealth(): void {
    const remotes = [...this.cache.remotes].map(([n, r]) => `${n}=${r.status}`).join(' ')
    this.health.report(CACHE_HEALTH_NAME, {
      live: true,
      ready: this.cache.status === 'in-sync',
      detail: `status=${this.cache.status} kvs=${this.cache.size}${remotes !== '' ? ` remotes: ${remotes}` : ''}`,
    })
  }
}

/** What {@link runCacheDaemon} needs from the process (tests replace it). */
export interface ProcessHooks {
  readonly exit: (code: number) => void
  readonly on: (
    event: 'SIGTERM' | 'SIGINT' | 'unhandledRejection',
    fn: (arg?: unknown) => void
  ) => void
}

/**
 * main(): creates the root logger, logs the config once, starts the daemon, drains on SIGTERM
 * (SIGINT: immediate stop) and exits. An unhandled rejection is logged at fatal and exits 1.
 * Resolves once the daemon is running.
 */
export async function runCacheDaemon(
  cfg: CacheConfig,
  opts: CacheDaemonOptions & { readonly log?: Logger; readonly process?: ProcessHooks } = {}
): Promise<CacheDaemon> {
  const log = opts.log ?? createRootLogger(cfg.logLevel, 'cache')
  const proc: ProcessHooks = opts.process ?? {
    exit: (code) => process.exit(code),
    on: (event, fn) => process.on(event, fn),
  }
  proc.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled promise rejection; exiting')
    proc.exit(1)
  })
  log.info({ config: configLogFields(cfg) }, 'starting cache daemon')
  for (const warning of cfg.deprecations) log.warn({ warning }, 'deprecated option used')
  const daemon = new CacheDaemon(cfg, log, opts)
  try {
    await daemon.start()
  } catch (err) {
    log.fatal({ err, message: errorMessage(err) }, 'cache daemon failed to start')
    throw err
  }
  let stopping = false
  const shutdown = (graceful: boolean): void => {
    if (stopping) return
    stopping = true
    log.info({ graceful }, 'shutting down')
    ;(graceful ? daemon.drain() : daemon.stop()).then(
      () => {
        log.info('server has shut down')
        proc.exit(0)
      },
      (err: unknown) => {
        log.fatal({ err }, 'shutdown failed')
        proc.exit(1)
      }
    )
  }
  proc.on('SIGTERM', () => shutdown(true))
  proc.on('SIGINT', () => shutdown(false))
  return daemon
}

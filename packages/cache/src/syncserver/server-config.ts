/**
 * Configuration of the sync (fan-out) server, with Typha's defaults where Typha has one.
 */
import {
  DEFAULT_MAX_CHUNK_BYTES,
  DEFAULT_MAX_CHUNK_ITEMS,
  DEFAULT_MAX_DELTA_ITEMS,
  DEFAULT_SERVER_MAX_FRAME_BYTES,
  DEFAULT_SYNC_PORT,
} from '@cattail/syncproto'

/** Mutual TLS: the server certificate, the CA clients must chain to, and who may connect. */
export interface SyncServerTlsConfig {
  readonly certFile: string
  readonly keyFile: string
  /** CA bundle that client certificates must chain to. */
  readonly caFile: string
  /** Accepted client certificate common names; a client matching either list is accepted. */
  readonly allowedCNs: readonly string[]
  /** Accepted client certificate URI SANs (e.g. `spiffe://cluster.local/ns/x/sa/agent`). */
  readonly allowedURISANs: readonly string[]
}

/** Settings of {@link SyncServer}. All durations in ms, sizes in bytes. */
export interface SyncServerConfig {
  /** Listen address. @default '0.0.0.0' */
  readonly host: string
  /** Listen port; 0 picks a free one (tests). @default 5473 */
  readonly port: number
  /** Mutual TLS; undefined = plain WebSocket. */
  readonly tls: SyncServerTlsConfig | undefined
  /** Close a connection that has not sent a valid ClientHello within this time. @default 10000 */
  readonly handshakeTimeoutMs: number
  /**
   * Most sockets still in their handshake (TCP accepted, TLS and ClientHello not done); more are
   * closed at accept, so idle sockets cannot use up the file limit. 0 = no cap (the library
   * default, for tests and benchmarks; the daemon's `--max-pending-handshakes` defaults to 1000).
   */
  readonly maxPendingHandshakes: number
  /**
   * Most open sockets from one source address; more are closed at accept. 0 = no cap (library
   * default; the daemon's `--max-connections-per-source` defaults to 64).
   */
  readonly maxConnectionsPerSource: number
  /** How often the TLS certificate, key and CA files are checked for changes. @default 10000 */
  readonly tlsReloadIntervalMs: number
  /** Ping every this often. @default 10000 */
  readonly pingIntervalMs: number
  /** Close a connection with no pong for this long (forced to 6×ping if ≤ 2×ping). @default 60000 */
  readonly pongTimeoutMs: number
  /** Disconnect a client whose crumb is older than the newest by more than this. @default 300000 */
  readonly maxFallBehindMs: number
  /** After its snapshot, a new client may fall behind this long before it is dropped. @default 300000 */
  readonly newClientGraceMs: number
  /** A crumb younger than this is sent as-is; older ones are merged into bigger frames. @default 10 */
  readonly minBatchingAgeMs: number
  /** Max KVs in one merged Deltas frame. @default 100 */
  readonly maxDeltaKvs: number
  /** Max KV bytes in one merged Deltas frame. @default 1 MiB */
  readonly maxDeltaBytes: number
  /** Max KVs per snapshot chunk. @default 1000 */
  readonly snapshotChunkKvs: number
  /** Max uncompressed KV bytes per snapshot chunk. @default 1 MiB */
  readonly snapshotChunkBytes: number
  /** A built snapshot is offered to new joiners for at least this long. @default 1000 */
  readonly snapshotReuseMs: number
  /** Largest frame accepted from a client (ws maxPayload). @default 1 MiB */
  readonly maxInboundBytes: number
  /** Stop queueing to a client while its ws.bufferedAmount is above this. @default 4 MiB */
  readonly highWaterBytes: number
  /** Drop a client whose socket makes no write progress for this long. @default 120000 */
  readonly writeTimeoutMs: number
  /** Shed at most one connection per interval while over the limit. @default 1000 */
  readonly dropIntervalMs: number
  /** Connection limit ceiling (also the limit of a lone replica). @default 10000 */
  readonly maxConnectionsUpper: number
  /** Connection limit floor. @default 400 */
  readonly maxConnectionsLower: number
  /**
   * Number of cache replicas serving this cluster, a static override; 0 = take it from the
   * cache Service's ready endpoints (`--cache-service`, replica-count.ts), lone (upper limit)
   * when that is not configured or not known yet. ≤ 1 means "lone". @default 0
   */
  readonly replicas: number
  /**
   * The cache Service `<namespace>/<name>` whose ready EndpointSlice endpoints give the replica
   * count (re-read every `replicaPollIntervalMs`); undefined = not used. @default undefined
   */
  readonly cacheService?: string
  /** How often the cache Service's endpoints are re-read. @default 30000 */
  readonly replicaPollIntervalMs: number
  /** Total time for a graceful shutdown to disconnect everyone. @default 300000 */
  readonly shutdownTimeoutMs: number
  /** Max gap between two disconnects during a graceful shutdown. @default 1000 */
  readonly shutdownMaxDropIntervalMs: number
}

/** Defaults for {@link SyncServerConfig}. */
export const DEFAULT_SYNC_SERVER_CONFIG: SyncServerConfig = {
  host: '0.0.0.0',
  port: DEFAULT_SYNC_PORT,
  tls: undefined,
  handshakeTimeoutMs: 10_000,
  maxPendingHandshakes: 0,
  maxConnectionsPerSource: 0,
  tlsReloadIntervalMs: 10_000,
  pingIntervalMs: 10_000,
  pongTimeoutMs: 60_000,
  maxFallBehindMs: 300_000,
  newClientGraceMs: 300_000,
  minBatchingAgeMs: 10,
  maxDeltaKvs: DEFAULT_MAX_DELTA_ITEMS,
  maxDeltaBytes: 1024 * 1024,
  snapshotChunkKvs: DEFAULT_MAX_CHUNK_ITEMS,
  snapshotChunkBytes: DEFAULT_MAX_CHUNK_BYTES,
  snapshotReuseMs: 1000,
  maxInboundBytes: DEFAULT_SERVER_MAX_FRAME_BYTES,
  highWaterBytes: 4 * 1024 * 1024,
  writeTimeoutMs: 120_000,
  dropIntervalMs: 1000,
  maxConnectionsUpper: 10_000,
  maxConnectionsLower: 400,
  replicas: 0,
  replicaPollIntervalMs: 30_000,
  shutdownTimeoutMs: 300_000,
  shutdownMaxDropIntervalMs: 1000,
}

/** Typha's rule: a pong timeout of at most twice the ping interval is raised to six times it. */
export function effectivePongTimeoutMs(
  cfg: Pick<SyncServerConfig, 'pingIntervalMs' | 'pongTimeoutMs'>
): number {
  return cfg.pongTimeoutMs <= cfg.pingIntervalMs * 2 ? cfg.pingIntervalMs * 6 : cfg.pongTimeoutMs
}

/** Every option of `cattail cache`: flag, env var, default and help text, in help order. */
import { LOG_LEVELS } from '@cattail/common'
import { DEFAULT_SNAPSHOT_CACHE_CONFIG } from './snapcache/snapshot-cache.js'
import { DEFAULT_SYNC_SERVER_CONFIG } from './syncserver/server-config.js'
import { DEFAULT_CACHE_CONFIG } from './config-types.js'

/** How an option's raw value is converted. */
export type Kind = 'string' | 'int' | 'bool' | 'list'

/** One option: flag, env var, default and help, plus how its raw value is converted. */
export interface OptionSpec {
  /** Commander attribute name = config-file key. */
  readonly key: string
  readonly flag: string
  readonly kind: Kind
  readonly help: string
  readonly default?: string
  readonly choices?: readonly string[]
  /** Never logged (configLogFields). */
  readonly secret?: boolean
}

const S = DEFAULT_SYNC_SERVER_CONFIG
const C = DEFAULT_SNAPSHOT_CACHE_CONFIG
const D = DEFAULT_CACHE_CONFIG

/** Every option of `cattail cache`, in help order. */
export const CACHE_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    kind: 'string',
    help: 'log level',
    default: D.logLevel,
    choices: LOG_LEVELS,
  },
  {
    key: 'datastoreType',
    flag: '--datastore-type <type>',
    kind: 'string',
    help: 'local datastore',
    default: 'kubernetes',
    choices: ['kubernetes', 'etcdv3', 'file'],
  },
  {
    key: 'kubeconfig',
    flag: '--kubeconfig <path>',
    kind: 'string',
    help: 'kubeconfig file (kubernetes; default: in-cluster)',
  },
  {
    key: 'etcdEndpoints',
    flag: '--etcd-endpoints <urls>',
    kind: 'list',
    help: 'comma-separated etcd URLs (etcdv3)',
  },
  {
    key: 'etcdUsername',
    flag: '--etcd-username <name>',
    kind: 'string',
    help: 'etcd user (etcdv3)',
  },
  {
    key: 'etcdPassword',
    flag: '--etcd-password <password>',
    kind: 'string',
    help: 'etcd password (etcdv3)',
    secret: true,
  },
  { key: 'etcdCa', flag: '--etcd-ca <file>', kind: 'string', help: 'etcd CA bundle file (etcdv3)' },
  {
    key: 'etcdCert',
    flag: '--etcd-cert <file>',
    kind: 'string',
    help: 'etcd client certificate file (etcdv3)',
  },
  {
    key: 'etcdKey',
    flag: '--etcd-key <file>',
    kind: 'string',
    help: 'etcd client key file (etcdv3)',
  },
  {
    key: 'fileDir',
    flag: '--file-dir <dir>',
    kind: 'string',
    help: 'folder of YAML manifests (file)',
  },
  {
    key: 'remoteClusters',
    flag: '--remote-clusters <bool>',
    kind: 'bool',
    help: 'follow RemoteClusterConfigurations and mesh the remote clusters',
    default: String(D.remotes.enabled),
  },
  {
    key: 'secretsNamespace',
    flag: '--secrets-namespace <ns>',
    kind: 'string',
    help: 'namespace of RemoteClusterConfiguration access Secrets (the only one read)',
    default: D.remotes.secretsNamespace,
  },
  {
    key: 'remoteInSyncTimeoutMs',
    flag: '--remote-in-sync-timeout-ms <ms>',
    kind: 'int',
    help: 'longest wait for start-up remote clusters before reporting in-sync',
    default: String(D.remotes.inSyncTimeoutMs),
  },
  {
    key: 'host',
    flag: '--host <addr>',
    kind: 'string',
    help: 'sync server listen address',
    default: S.host,
  },
  {
    key: 'port',
    flag: '--port <port>',
    kind: 'int',
    help: 'sync server port',
    default: String(S.port),
  },
  {
    key: 'tlsCert',
    flag: '--tls-cert <file>',
    kind: 'string',
    help: 'server certificate (enables mutual TLS with --tls-key, --tls-ca)',
  },
  { key: 'tlsKey', flag: '--tls-key <file>', kind: 'string', help: 'server private key' },
  {
    key: 'tlsCa',
    flag: '--tls-ca <file>',
    kind: 'string',
    help: 'CA that client certificates must chain to',
  },
  {
    key: 'clientCn',
    flag: '--client-cn <names>',
    kind: 'list',
    help: 'accepted client certificate CNs, comma-separated',
  },
  {
    key: 'clientUriSan',
    flag: '--client-uri-san <uris>',
    kind: 'list',
    help: 'accepted client certificate URI SANs, comma-separated',
  },
  {
    key: 'handshakeTimeoutMs',
    flag: '--handshake-timeout-ms <ms>',
    kind: 'int',
    help: 'close connections without a hello after this',
    default: String(S.handshakeTimeoutMs),
  },
  {
    key: 'pingIntervalMs',
    flag: '--ping-interval-ms <ms>',
    kind: 'int',
    help: 'ping interval',
    default: String(S.pingIntervalMs),
  },
  {
    key: 'pongTimeoutMs',
    flag: '--pong-timeout-ms <ms>',
    kind: 'int',
    help: 'close a client silent for this long (≤2×ping → 6×ping)',
    default: String(S.pongTimeoutMs),
  },
  {
    key: 'maxFallBehindMs',
    flag: '--max-fall-behind-ms <ms>',
    kind: 'int',
    help: 'drop a client further behind than this',
    default: String(S.maxFallBehindMs),
  },
  {
    key: 'newClientGraceMs',
    flag: '--new-client-grace-ms <ms>',
    kind: 'int',
    help: 'grace period after a snapshot before lag counts',
    default: String(S.newClientGraceMs),
  },
  {
    key: 'minBatchingAgeMs',
    flag: '--min-batching-age-ms <ms>',
    kind: 'int',
    help: 'merge crumbs older than this into bigger frames',
    default: String(S.minBatchingAgeMs),
  },
  {
    key: 'maxDeltaKvs',
    flag: '--max-delta-kvs <n>',
    kind: 'int',
    help: 'max KVs per merged delta frame',
    default: String(S.maxDeltaKvs),
  },
  {
    key: 'maxDeltaBytes',
    flag: '--max-delta-bytes <bytes>',
    kind: 'int',
    help: 'max KV bytes per merged delta frame',
    default: String(S.maxDeltaBytes),
  },
  {
    key: 'snapshotChunkKvs',
    flag: '--snapshot-chunk-kvs <n>',
    kind: 'int',
    help: 'max KVs per snapshot chunk',
    default: String(S.snapshotChunkKvs),
  },
  {
    key: 'snapshotChunkBytes',
    flag: '--snapshot-chunk-bytes <bytes>',
    kind: 'int',
    help: 'max raw bytes per snapshot chunk',
    default: String(S.snapshotChunkBytes),
  },
  {
    key: 'snapshotReuseMs',
    flag: '--snapshot-reuse-ms <ms>',
    kind: 'int',
    help: 'share a built snapshot with joiners for at least this long',
    default: String(S.snapshotReuseMs),
  },
  {
    key: 'maxInboundBytes',
    flag: '--max-inbound-bytes <bytes>',
    kind: 'int',
    help: 'largest frame accepted from a client',
    default: String(S.maxInboundBytes),
  },
  {
    key: 'highWaterBytes',
    flag: '--high-water-bytes <bytes>',
    kind: 'int',
    help: 'stop queueing to a client above this much buffered data',
    default: String(S.highWaterBytes),
  },
  {
    key: 'writeTimeoutMs',
    flag: '--write-timeout-ms <ms>',
    kind: 'int',
    help: 'drop a client whose socket makes no progress for this long',
    default: String(S.writeTimeoutMs),
  },
  {
    key: 'dropIntervalMs',
    flag: '--drop-interval-ms <ms>',
    kind: 'int',
    help: 'shed at most one connection per interval when over the limit',
    default: String(S.dropIntervalMs),
  },
  {
    key: 'maxConnectionsUpper',
    flag: '--max-connections-upper <n>',
    kind: 'int',
    help: 'connection limit ceiling',
    default: String(S.maxConnectionsUpper),
  },
  {
    key: 'maxConnectionsLower',
    flag: '--max-connections-lower <n>',
    kind: 'int',
    help: 'connection limit floor',
    default: String(S.maxConnectionsLower),
  },
  {
    key: 'replicas',
    flag: '--replicas <n>',
    kind: 'int',
    help: 'cache replicas in the cluster (connection limit formula)',
    default: String(S.replicas),
  },
  {
    key: 'shutdownTimeoutMs',
    flag: '--shutdown-timeout-ms <ms>',
    kind: 'int',
    help: 'spread disconnects over this on SIGTERM',
    default: String(S.shutdownTimeoutMs),
  },
  {
    key: 'shutdownMaxDropIntervalMs',
    flag: '--shutdown-max-drop-interval-ms <ms>',
    kind: 'int',
    help: 'max gap between shutdown disconnects',
    default: String(S.shutdownMaxDropIntervalMs),
  },
  {
    key: 'maxBatchSize',
    flag: '--max-batch-size <n>',
    kind: 'int',
    help: 'max deltas per breadcrumb',
    default: String(C.maxBatchSize),
  },
  {
    key: 'batchWindowMs',
    flag: '--batch-window-ms <ms>',
    kind: 'int',
    help: 'publish breadcrumbs at most this often while updates keep arriving (0 = every tick)',
    default: String(C.batchWindowMs),
  },
  {
    key: 'retainBytes',
    flag: '--retain-bytes <bytes>',
    kind: 'int',
    help: 'resume window size in delta bytes',
    default: String(C.retainBytes),
  },
  {
    key: 'retainMs',
    flag: '--retain-ms <ms>',
    kind: 'int',
    help: 'resume window age',
    default: String(C.retainMs),
  },
  {
    key: 'healthEnabled',
    flag: '--health-enabled <bool>',
    kind: 'bool',
    help: 'serve /liveness and /readiness',
    default: String(D.health.enabled),
  },
  {
    key: 'healthHost',
    flag: '--health-host <addr>',
    kind: 'string',
    help: 'health listen address',
    default: D.health.host,
  },
  {
    key: 'healthPort',
    flag: '--health-port <port>',
    kind: 'int',
    help: 'health port',
    default: String(D.health.port),
  },
  {
    key: 'healthIntervalMs',
    flag: '--health-interval-ms <ms>',
    kind: 'int',
    help: 'health report interval',
    default: String(D.healthIntervalMs),
  },
  {
    key: 'metricsEnabled',
    flag: '--metrics-enabled <bool>',
    kind: 'bool',
    help: 'serve Prometheus /metrics',
    default: String(D.metrics.enabled),
  },
  {
    key: 'metricsHost',
    flag: '--metrics-host <addr>',
    kind: 'string',
    help: 'metrics listen address',
    default: D.metrics.host,
  },
  {
    key: 'metricsPort',
    flag: '--metrics-port <port>',
    kind: 'int',
    help: 'metrics port',
    default: String(D.metrics.port),
  },
]

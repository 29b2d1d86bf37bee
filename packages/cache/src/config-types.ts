/** Types and defaults of the `cattail cache` configuration (see config.ts for how it is filled). */
import type { LevelWithSilent } from 'pino'
import {
  DEFAULT_SNAPSHOT_CACHE_CONFIG,
  type SnapshotCacheConfig,
} from './snapcache/snapshot-cache.js'
import { DEFAULT_SYNC_SERVER_CONFIG, type SyncServerConfig } from './syncserver/server-config.js'

/** The local datastore the cache watches, as configured (files are read by the daemon). */
export type CacheDatastoreConfig =
  | {
      readonly type: 'kubernetes'
      /** Path of a kubeconfig; undefined = in-cluster service account. */
      readonly kubeconfig: string | undefined
    }
  | {
      readonly type: 'etcdv3'
      readonly endpoints: readonly string[]
      readonly username: string | undefined
      readonly password: string | undefined
      readonly caFile: string | undefined
      readonly certFile: string | undefined
      readonly keyFile: string | undefined
    }
  | {
      readonly type: 'file'
      /** Folder of YAML manifests. */
      readonly dir: string
    }

/** An HTTP endpoint that can be switched off. */
export interface HttpEndpointConfig {
  readonly enabled: boolean
  readonly host: string
  readonly port: number
}

/** Everything `cattail cache` needs. */
export interface CacheConfig {
  readonly logLevel: LevelWithSilent
  readonly datastore: CacheDatastoreConfig
  readonly cache: SnapshotCacheConfig
  readonly server: SyncServerConfig
  /** `/liveness`, `/readiness`. @default enabled on 0.0.0.0:9098 */
  readonly health: HttpEndpointConfig
  /** Prometheus `/metrics`. @default enabled on 0.0.0.0:9093 */
  readonly metrics: HttpEndpointConfig
  /** How often loops report health, ms; a reporter silent for 2× this is not live. @default 10000 */
  readonly healthIntervalMs: number
  /** Remote clusters (RemoteClusterConfigurations in the local datastore). */
  readonly remotes: RemoteClustersConfig
  /** Deprecated options that were used, one warning each (logged at start). @default [] */
  readonly deprecations: readonly string[]
}

/** Remote-cluster settings of the cache. */
export interface RemoteClustersConfig {
  /** Follow RemoteClusterConfigurations and connect to remote clusters. @default true */
  readonly enabled: boolean
  /** Namespace of cluster access Secrets (the only one watched). @default 'cattail-system' */
  readonly secretsNamespace: string
  /** Longest wait for start-up remotes before reporting in-sync, ms. @default 10000 */
  readonly inSyncTimeoutMs: number
  /**
   * Admit exec plugins in remote kubeconfigs (RCC inline field or Secret). Off by default: a
   * remote's kubeconfig may not run a command in the cache. @default false
   */
  readonly allowKubeconfigExec: boolean
  /** Local Service CIDRs; remote pools and blocks overlapping them are refused. @default [] */
  readonly serviceCidrs: readonly string[]
  /** Most objects one remote may hand over; past it new ones are refused. @default 200000 */
  readonly objectLimit: number
}

/** Defaults for {@link CacheConfig}. */
export const DEFAULT_CACHE_CONFIG: CacheConfig = Object.freeze({
  logLevel: 'info' as const,
  datastore: { type: 'kubernetes' as const, kubeconfig: undefined },
  cache: DEFAULT_SNAPSHOT_CACHE_CONFIG,
  // The daemon caps what an idle-socket flood can hold (the library default is no cap).
  server: {
    ...DEFAULT_SYNC_SERVER_CONFIG,
    maxPendingHandshakes: 1000,
    maxConnectionsPerSource: 64,
  },
  health: { enabled: true, host: '0.0.0.0', port: 9098 },
  metrics: { enabled: true, host: '0.0.0.0', port: 9093 },
  healthIntervalMs: 10_000,
  deprecations: [],
  remotes: {
    enabled: true,
    secretsNamespace: 'cattail-system',
    inSyncTimeoutMs: 10_000,
    allowKubeconfigExec: false,
    serviceCidrs: [],
    objectLimit: 200_000,
  },
})

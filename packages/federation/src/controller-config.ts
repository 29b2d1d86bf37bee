/** The controller's typed settings and defaults, and the status it reports. */
import type { ReflectorConfig } from '@cattail/datastore'
import type { RemoteInfo } from './source/remotes.js'

/** Settings of the controller. */
export interface ControllerConfig {
  /** Namespace of the RCC access Secrets. */
  readonly secretsNamespace: string
  /** How long a failed remote keeps its addresses; 0 = withdraw at once. */
  readonly remoteGracePeriodMs: number
  /** Timeout of each API request. */
  readonly requestTimeoutMs: number
  /** Services written in parallel. */
  readonly writeConcurrency: number
  /** Longest wait, after local in-sync, for start-up remotes before the first write. */
  readonly startupRemoteWaitMs: number
  /** Delay before a failed write is retried. */
  readonly retryDelayMs: number
  /** Reflector tuning (tests). */
  readonly reflector?: ReflectorConfig
}

/** Defaults of {@link ControllerConfig}. */
export const DEFAULT_CONTROLLER_CONFIG: ControllerConfig = {
  secretsNamespace: 'cattail-system',
  remoteGracePeriodMs: 0,
  requestTimeoutMs: 30_000,
  writeConcurrency: 16,
  startupRemoteWaitMs: 10_000,
  retryDelayMs: 1000,
}

/** Status of the controller for health, metrics and `cattail status`. */
export interface ControllerStatus {
  readonly localInSync: boolean
  readonly leader: boolean
  readonly federatedServices: number
  readonly remotes: ReadonlyMap<string, RemoteInfo & { readonly withdrawn: boolean }>
}

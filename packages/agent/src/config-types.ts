/** Types and defaults of the `cattail agent` configuration (see config.ts for how it is filled). */
import type { LevelWithSilent } from 'pino'
import { DEFAULT_DATAPLANE_LOOP_CONFIG } from './dataplane/dataplane-loop.js'
import { DEFAULT_VXLAN_DATAPLANE_CONFIG, type VxlanDataplaneConfig } from './dataplane/types.js'
import {
  DEFAULT_POLICY_DATAPLANE_CONFIG,
  type PolicyDataplaneConfig,
} from './dataplane/policy/config.js'

/** An HTTP endpoint that can be switched off. */
export interface HttpEndpointConfig {
  readonly enabled: boolean
  readonly host: string
  readonly port: number
}

/** TLS files for the connection to the cache (mutual TLS); contents are read by the daemon. */
export interface AgentTlsFiles {
  readonly caFile: string
  readonly certFile: string
  readonly keyFile: string
  readonly serverName: string | undefined
  readonly serverCN: string | undefined
  readonly serverURISAN: string | undefined
}

/** Cache discovery from a Kubernetes Service's EndpointSlices. */
export interface AgentCacheServiceConfig {
  readonly namespace: string
  readonly name: string
  /** Name of the cache port in the Service. @default 'cattail-cache' */
  readonly portName: string
  /** Kubeconfig file; undefined = the in-cluster service account. */
  readonly kubeconfig: string | undefined
}

/** Everything `cattail agent` needs. */
export interface AgentConfig {
  readonly logLevel: LevelWithSilent
  /** This node's name (required). */
  readonly nodeName: string
  /**
   * Static cache addresses (`ws://…` or `wss://…`), tried in shuffled rounds (first in every
   * round when `cacheService` is set too). May be empty when `cacheService` is set.
   */
  readonly cacheAddresses: readonly string[]
  /** Discover caches from this Service's ready endpoints (`ws://`, or `wss://` with TLS). */
  readonly cacheService: AgentCacheServiceConfig | undefined
  /** Mutual TLS towards the cache; required for wss:// addresses. */
  readonly tls: AgentTlsFiles | undefined
  readonly vxlan: VxlanDataplaneConfig
  /** Network policy dataplane (iptables, ipsets, workload routes). */
  readonly policy: PolicyDataplaneConfig
  /** Full dataplane resync period, ms (Felix RouteRefreshInterval). @default 90000 */
  readonly resyncIntervalMs: number
  /** Deadline of every child process in ms (killed past it; 0 = none). @default 10000 */
  readonly commandTimeoutMs: number
  /** `/liveness` fails while one dataplane apply runs longer than this, ms. @default 90000 */
  readonly watchdogTimeoutMs: number
  /** The host's /proc, scanned at start for a running Felix. @default '/proc' */
  readonly hostProcDir: string
  /** Log the kernel changes instead of making them (no root needed). @default false */
  readonly dryRun?: boolean
  /**
   * `/liveness`, `/readiness`, `/status`: Felix's health contract. @default enabled on
   * 127.0.0.1:9099 (`FELIX_HEALTHHOST` / `FELIX_HEALTHPORT` when our own option is unset)
   */
  readonly health: HttpEndpointConfig
  /** Prometheus `/metrics`. @default enabled on 0.0.0.0:9092 */
  readonly metrics: HttpEndpointConfig
}

/** Defaults for everything but the node name and where the caches are. */
export const DEFAULT_AGENT_CONFIG: Omit<
  AgentConfig,
  'nodeName' | 'cacheAddresses' | 'cacheService'
> = Object.freeze({
  logLevel: 'info' as const,
  tls: undefined,
  vxlan: DEFAULT_VXLAN_DATAPLANE_CONFIG,
  policy: DEFAULT_POLICY_DATAPLANE_CONFIG,
  resyncIntervalMs: DEFAULT_DATAPLANE_LOOP_CONFIG.resyncIntervalMs,
  commandTimeoutMs: 10_000,
  watchdogTimeoutMs: DEFAULT_DATAPLANE_LOOP_CONFIG.watchdogTimeoutMs,
  hostProcDir: '/proc',
  health: { enabled: true, host: '127.0.0.1', port: 9099 },
  metrics: { enabled: true, host: '0.0.0.0', port: 9092 },
})

/** Default `--cache-port-name` (the port name in the cattail-cache Service). */
export const DEFAULT_CACHE_PORT_NAME = 'cattail-cache'

/**
 * The `cattail federation` configuration: one typed, frozen {@link FederationConfig}, its options
 * (flag, `CATTAIL_FEDERATION_*` env var, YAML `--config-file` key, default, help) through the
 * common cli-options machinery, and the validation that lists every problem at once.
 * Precedence: default < --config-file < environment < flag.
 */
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { Command } from 'commander'
import {
  ConfigError,
  LOG_LEVELS,
  addOptions,
  applyConfigFile as applyFile,
  deepFreeze,
  httpEndpointOptions,
  logLevelOption,
  readOptionValues,
  type OptionSpec,
  type RawOptions,
} from '@cattail/common'
import type { LevelWithSilent } from 'pino'
import { DEFAULT_CONTROLLER_CONFIG, type ControllerConfig } from './controller.js'
import type { LeaseConfig } from './leader.js'

const ENV_PREFIX = 'CATTAIL_FEDERATION'

/** The whole configuration of `cattail federation`. */
export interface FederationConfig {
  readonly logLevel: LevelWithSilent
  /** Kubeconfig file of the local cluster; undefined = in-cluster service account. */
  readonly kubeconfig: string | undefined
  readonly controller: ControllerConfig
  readonly lease: LeaseConfig
  readonly health: { readonly enabled: boolean; readonly host: string; readonly port: number }
  readonly metrics: { readonly enabled: boolean; readonly host: string; readonly port: number }
}

/** Every option of `cattail federation`, in help order. */
export const FEDERATION_OPTIONS: readonly OptionSpec[] = [
  logLevelOption('info', LOG_LEVELS),
  {
    key: 'kubeconfig',
    flag: '--kubeconfig <path>',
    kind: 'string',
    help: 'kubeconfig of the local cluster (default: in-cluster service account)',
  },
  {
    key: 'secretsNamespace',
    flag: '--secrets-namespace <ns>',
    kind: 'string',
    help: 'namespace of the RemoteClusterConfiguration access Secrets',
    default: DEFAULT_CONTROLLER_CONFIG.secretsNamespace,
  },
  {
    key: 'remoteGracePeriodMs',
    flag: '--remote-grace-period-ms <ms>',
    kind: 'int',
    help: 'how long a failed remote keeps its addresses in federated endpoints (0 = withdraw at once)',
    default: String(DEFAULT_CONTROLLER_CONFIG.remoteGracePeriodMs),
  },
  {
    key: 'startupRemoteWaitMs',
    flag: '--startup-remote-wait-ms <ms>',
    kind: 'int',
    help: 'longest wait for start-up remotes before the first write',
    default: String(DEFAULT_CONTROLLER_CONFIG.startupRemoteWaitMs),
  },
  {
    key: 'writeConcurrency',
    flag: '--write-concurrency <n>',
    kind: 'int',
    help: 'federated Services written in parallel',
    default: String(DEFAULT_CONTROLLER_CONFIG.writeConcurrency),
  },
  {
    key: 'requestTimeoutMs',
    flag: '--request-timeout-ms <ms>',
    kind: 'int',
    help: 'timeout of each Kubernetes API request',
    default: String(DEFAULT_CONTROLLER_CONFIG.requestTimeoutMs),
  },
  {
    key: 'leaseNamespace',
    flag: '--lease-namespace <ns>',
    kind: 'string',
    help: 'namespace of the leader-election Lease',
    default: 'cattail-system',
  },
  {
    key: 'leaseName',
    flag: '--lease-name <name>',
    kind: 'string',
    help: 'name of the leader-election Lease',
    default: 'cattail-federation',
  },
  {
    key: 'leaseIdentity',
    flag: '--lease-identity <id>',
    kind: 'string',
    help: 'this replica in the Lease (default: host name + random suffix)',
  },
  {
    key: 'leaseDurationMs',
    flag: '--lease-duration-ms <ms>',
    kind: 'int',
    help: 'Lease duration: a silent leader is replaced after this long',
    default: '15000',
  },
  {
    key: 'leaseRenewDeadlineMs',
    flag: '--lease-renew-deadline-ms <ms>',
    kind: 'int',
    help: 'a leader that cannot renew this long stops writing',
    default: '10000',
  },
  {
    key: 'leaseRetryPeriodMs',
    flag: '--lease-retry-period-ms <ms>',
    kind: 'int',
    help: 'interval between Lease attempts',
    default: '2000',
  },
  ...httpEndpointOptions('health', { enabled: true, host: '0.0.0.0', port: 9096 }),
  ...httpEndpointOptions('metrics', { enabled: true, host: '0.0.0.0', port: 9097 }),
]

/** Adds every option and `--config-file` to `cmd`. */
export function addFederationOptions(cmd: Command): Command {
  return addOptions(cmd, FEDERATION_OPTIONS, ENV_PREFIX)
}

/** Reads `--config-file` (if any) into every option still at its default. */
export function applyConfigFile(cmd: Command): Promise<RawOptions> {
  return applyFile(cmd, FEDERATION_OPTIONS)
}

/** Validates raw option values; returns a frozen config or throws a ConfigError listing every problem. */
export function parseConfig(raw: RawOptions): FederationConfig {
  const { values, problems } = readOptionValues(FEDERATION_OPTIONS, raw)
  const int = (k: string): number => values.int(k)
  const str = (k: string, d: string): string => values.str(k) ?? d
  const lease: LeaseConfig = {
    namespace: str('leaseNamespace', 'cattail-system'),
    name: str('leaseName', 'cattail-federation'),
    identity: values.str('leaseIdentity') ?? `${hostname()}_${randomBytes(4).toString('hex')}`,
    leaseDurationMs: int('leaseDurationMs'),
    renewDeadlineMs: int('leaseRenewDeadlineMs'),
    retryPeriodMs: int('leaseRetryPeriodMs'),
  }
  if (lease.leaseDurationMs < 1000) problems.push('--lease-duration-ms: at least 1000')
  if (lease.retryPeriodMs < 100) problems.push('--lease-retry-period-ms: at least 100')
  if (lease.renewDeadlineMs >= lease.leaseDurationMs)
    problems.push('--lease-renew-deadline-ms: must be less than --lease-duration-ms')
  if (lease.retryPeriodMs >= lease.renewDeadlineMs)
    problems.push('--lease-retry-period-ms: must be less than --lease-renew-deadline-ms')
  if (int('writeConcurrency') < 1) problems.push('--write-concurrency: at least 1')
  if (int('requestTimeoutMs') < 100) problems.push('--request-timeout-ms: at least 100')
  if (problems.length > 0) throw new ConfigError(problems)
  return deepFreeze({
    logLevel: str('logLevel', 'info') as LevelWithSilent,
    kubeconfig: values.str('kubeconfig'),
    controller: {
      ...DEFAULT_CONTROLLER_CONFIG,
      secretsNamespace: str('secretsNamespace', DEFAULT_CONTROLLER_CONFIG.secretsNamespace),
      remoteGracePeriodMs: int('remoteGracePeriodMs'),
      startupRemoteWaitMs: int('startupRemoteWaitMs'),
      writeConcurrency: int('writeConcurrency'),
      requestTimeoutMs: int('requestTimeoutMs'),
    },
    lease,
    health: {
      enabled: values.bool('healthEnabled'),
      host: str('healthHost', '0.0.0.0'),
      port: int('healthPort'),
    },
    metrics: {
      enabled: values.bool('metricsEnabled'),
      host: str('metricsHost', '0.0.0.0'),
      port: int('metricsPort'),
    },
  })
}

/** Settings of the policy dataplane (iptables, ipsets, workload routes) and their defaults. */
import type { IpFamily } from '../../calc/policy/contract.js'
import type { IptablesBackendMode } from './backend.js'

/** Policy dataplane settings (Felix defaults where Felix has one). */
export interface PolicyDataplaneConfig {
  /** Program policy at all. @default true */
  readonly enabled: boolean
  /** `auto` detects as Felix does (`IptablesBackend`). @default 'auto' */
  readonly iptablesBackend: IptablesBackendMode
  /** `iptables-restore --wait` in seconds (xtables lock). @default 10 */
  readonly lockWaitSeconds: number
  /** `iptables-restore --wait-interval` in microseconds. @default 50000 */
  readonly lockProbeMicros: number
  /** Deadline of one child process (iptables-*, ipset, ip) in ms. @default 30000 */
  readonly commandTimeoutMs: number
  /** Families programmed. @default [4, 6] */
  readonly families: readonly IpFamily[]
  /** Route protocol of workload routes (Felix's `DeviceRouteProtocol`, boot). @default 3 */
  readonly workloadRouteProtocol: number
  /** Workload interfaces start with this (routes on other devices are never touched). @default 'cali' */
  readonly workloadInterfacePrefix: string
  /** Felix guard: this many drift repairs of our chains … @default 3 */
  readonly felixGuardRepairs: number
  /** … within this window (ms) mean another writer (Felix) is fighting us: exit. @default 600000 */
  readonly felixGuardWindowMs: number
}

/** Defaults for {@link PolicyDataplaneConfig}. */
export const DEFAULT_POLICY_DATAPLANE_CONFIG: PolicyDataplaneConfig = Object.freeze({
  enabled: true,
  iptablesBackend: 'auto' as const,
  lockWaitSeconds: 10,
  lockProbeMicros: 50_000,
  commandTimeoutMs: 30_000,
  families: Object.freeze([4, 6] as IpFamily[]),
  workloadRouteProtocol: 3,
  workloadInterfacePrefix: 'cali',
  felixGuardRepairs: 3,
  felixGuardWindowMs: 600_000,
})

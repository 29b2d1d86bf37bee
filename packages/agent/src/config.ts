/**
 * The `cattail agent` configuration: one typed, frozen {@link AgentConfig}, its defaults, the
 * commander options that fill it and the validation that lists every problem at once.
 *
 * # Precedence
 * default < config file (YAML, `--config-file`) < environment (`CATTAIL_AGENT_*`) < flag.
 * Commander resolves default/env/flag itself and records each option's source; after parsing,
 * every option still at its default takes the file's value (source `config`). `--node-name` also
 * falls back to `NODENAME` (the DaemonSet's downward-API variable). Values are converted and checked
 * in one pass by {@link parseAgentConfig}, which throws a `ConfigError` listing every problem.
 * File keys are the options' camelCase names (`--cache-addresses` → `cacheAddresses`).
 *
 * Caches: `--cache-addresses` (static URLs) and/or `--cache-service` (a Service's EndpointSlices,
 * read with `--kubeconfig` or the in-cluster service account); at least one is required, and with
 * both the static URLs are tried first in every round.
 */
import type { Command } from 'commander'
import {
  ConfigError,
  addOptions,
  applyConfigFile,
  deepFreeze,
  envNameFor,
  readOptionValues,
  type RawOptions,
} from '@cattail/common'
import type { LevelWithSilent } from 'pino'
import { AGENT_OPTIONS } from './config-options.js'
import { DEFAULT_VXLAN_DATAPLANE_CONFIG } from './dataplane/types.js'
import { DEFAULT_POLICY_DATAPLANE_CONFIG } from './dataplane/policy/config.js'
import type { IptablesBackendMode } from './dataplane/policy/backend.js'
import { DEFAULT_AGENT_CONFIG, DEFAULT_CACHE_PORT_NAME, type AgentConfig } from './config-types.js'

const D = DEFAULT_AGENT_CONFIG
const V = DEFAULT_VXLAN_DATAPLANE_CONFIG

export * from './config-types.js'
export { AGENT_OPTIONS } from './config-options.js'

const ENV_PREFIX = 'CATTAIL_AGENT'

/** RFC 1123 label: namespaces, Service and port names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

/** `cacheAddresses` → `CATTAIL_AGENT_CACHE_ADDRESSES`. */
export function agentEnvName(key: string): string {
  return envNameFor(ENV_PREFIX, key)
}

/** Adds every agent option (with env var, default and help) and `--config-file` to `cmd`. */
export function addAgentOptions(cmd: Command): Command {
  return addOptions(cmd, AGENT_OPTIONS, ENV_PREFIX)
}

/** Raw option values after precedence was applied. */
export type RawAgentOptions = RawOptions

/**
 * Reads `--config-file` (if any) into every option still at its default, then applies the
 * `NODENAME` fallback. Unknown file keys are configuration errors.
 */
export async function applyAgentConfigFile(
  cmd: Command,
  env: NodeJS.ProcessEnv = process.env
): Promise<RawAgentOptions> {
  await applyConfigFile(cmd, AGENT_OPTIONS)
  const nodeName = env['NODENAME']
  if (cmd.getOptionValue('nodeName') === undefined && nodeName !== undefined && nodeName !== '') {
    cmd.setOptionValueWithSource('nodeName', nodeName, 'env')
  }
  applyFelixHealthEnv(cmd, env)
  return cmd.opts()
}

/**
 * Felix's health contract: calico-node's `-felix-live`/`-felix-ready` probes read
 * `FELIX_HEALTHPORT` (and Felix itself `FELIX_HEALTHHOST`), so when our own health host/port are
 * still at their defaults (not set by flag, env or config file), those variables apply.
 */
function applyFelixHealthEnv(cmd: Command, env: NodeJS.ProcessEnv): void {
  for (const [key, name] of [
    ['healthPort', 'FELIX_HEALTHPORT'],
    ['healthHost', 'FELIX_HEALTHHOST'],
  ] as const) {
    const v = env[name]
    if (v !== undefined && v !== '' && cmd.getOptionValueSource(key) === 'default')
      cmd.setOptionValueWithSource(key, v, 'env')
  }
}

/** Validates raw option values; returns a frozen AgentConfig or throws a ConfigError listing every problem. */
export function parseAgentConfig(raw: RawAgentOptions): AgentConfig {
  const { values, problems } = readOptionValues(AGENT_OPTIONS, raw)
  const str = (k: string): string | undefined => values.str(k)
  const int = (k: string): number => values.int(k)
  const bool = (k: string): boolean => values.bool(k)
  const nodeName = str('nodeName')
  if (nodeName === undefined)
    problems.push('--node-name: required (or set NODENAME / CATTAIL_AGENT_NODE_NAME)')
  else if (nodeName.includes('/'))
    problems.push(`--node-name: ${JSON.stringify(nodeName)} must not contain "/"`)
  const cacheAddresses = values.list('cacheAddresses')
  const cacheServiceText = str('cacheService')
  const cachePortName = str('cachePortName') ?? DEFAULT_CACHE_PORT_NAME
  const kubeconfig = str('kubeconfig')
  if (cacheAddresses.length === 0 && cacheServiceText === undefined)
    problems.push('--cache-addresses or --cache-service: at least one is required')
  const [ns, svc, ...rest] = (cacheServiceText ?? '').split('/')
  if (
    cacheServiceText !== undefined &&
    (rest.length > 0 || !DNS_LABEL.test(ns ?? '') || !DNS_LABEL.test(svc ?? ''))
  )
    problems.push(
      `--cache-service: ${JSON.stringify(cacheServiceText)} must be <namespace>/<name> (DNS labels)`
    )
  if (!DNS_LABEL.test(cachePortName))
    problems.push(`--cache-port-name: ${JSON.stringify(cachePortName)} is not a valid port name`)
  if (kubeconfig !== undefined && cacheServiceText === undefined)
    problems.push('--kubeconfig: only used with --cache-service')
  let anyWss = false
  for (const a of cacheAddresses) {
    let u: URL | undefined
    try {
      u = new URL(a)
    } catch {
      problems.push(`--cache-addresses: ${JSON.stringify(a)} is not a URL`)
      continue
    }
    if (u.protocol === 'wss:') anyWss = true
    else if (u.protocol !== 'ws:') problems.push(`--cache-addresses: ${a} must use ws:// or wss://`)
  }
  const caFile = str('tlsCaFile')
  const certFile = str('tlsCertFile')
  const keyFile = str('tlsKeyFile')
  const tlsGiven = [caFile, certFile, keyFile].filter((x) => x !== undefined).length
  if (tlsGiven > 0 && tlsGiven < 3)
    problems.push('--tls-ca-file, --tls-cert-file and --tls-key-file go together')
  if (anyWss && tlsGiven === 0)
    problems.push(
      '--cache-addresses: wss:// needs --tls-ca-file, --tls-cert-file and --tls-key-file'
    )
  if (!anyWss && tlsGiven === 3 && cacheAddresses.length > 0)
    problems.push('--cache-addresses: TLS files are set, use wss:// addresses')
  const vni = int('vxlanVni')
  if (vni !== undefined && (vni < 1 || vni > 16_777_215))
    problems.push('--vxlan-vni: must be 1..16777215')
  const port = int('vxlanPort')
  if (port !== undefined && (port < 1 || port > 65_535))
    problems.push('--vxlan-port: must be 1..65535')
  const proto = int('routeProtocol')
  if (proto !== undefined && (proto < 4 || proto > 255))
    problems.push('--route-protocol: must be 4..255 (0-3 belong to the kernel)')
  const mtu = int('vxlanMtu')
  if (mtu !== undefined && mtu !== 0 && (mtu < 68 || mtu > 65_535))
    problems.push('--vxlan-mtu: must be 0 (auto) or 68..65535')
  const dev = str('vxlanDevice') ?? V.deviceName
  if (!/^[^\s/]{1,15}$/.test(dev))
    problems.push(`--vxlan-device: ${JSON.stringify(dev)} is not a valid interface name`)
  const wrp = int('workloadRouteProtocol')
  if (wrp < 1 || wrp > 255) problems.push('--workload-route-protocol: must be 1..255')
  if (wrp === proto)
    problems.push('--workload-route-protocol: must differ from --route-protocol (VXLAN routes)')
  const cto = int('commandTimeoutMs')
  if (cto !== 0 && cto < 100)
    problems.push('--command-timeout-ms: must be 0 (none) or at least 100')
  for (const k of ['healthPort', 'metricsPort']) {
    const p = int(k)
    if (p !== undefined && p > 65_535)
      problems.push(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: must be 0..65535`)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return deepFreeze({
    logLevel: (str('logLevel') ?? D.logLevel) as LevelWithSilent,
    nodeName: nodeName as string,
    cacheAddresses,
    cacheService:
      cacheServiceText === undefined
        ? undefined
        : {
            namespace: ns as string,
            name: svc as string,
            portName: cachePortName,
            kubeconfig,
          },
    tls:
      tlsGiven === 3
        ? {
            caFile: caFile as string,
            certFile: certFile as string,
            keyFile: keyFile as string,
            serverName: str('tlsServerName'),
            serverCN: str('tlsServerCn'),
            serverURISAN: str('tlsServerUriSan'),
          }
        : undefined,
    vxlan: {
      ...V,
      deviceName: dev,
      vni,
      port,
      mtu,
      routeProtocol: proto,
      useNetlink: bool('netlink'),
      netlinkMaxOps: int('netlinkMaxOps'),
    },
    policy: {
      ...DEFAULT_POLICY_DATAPLANE_CONFIG,
      enabled: bool('policy'),
      iptablesBackend: (str('iptablesBackend') ?? 'auto') as IptablesBackendMode,
      lockWaitSeconds: int('iptablesLockWait'),
      families: bool('policyIpv6') ? [4, 6] : [4],
      workloadRouteProtocol: wrp,
      felixGuardRepairs: int('felixGuardRepairs'),
      // iptables-restore may wait --iptables-lock-wait for the xtables lock: never kill it sooner
      commandTimeoutMs: cto === 0 ? 0 : Math.max(cto, (int('iptablesLockWait') + 5) * 1000),
    },
    resyncIntervalMs: int('resyncIntervalMs'),
    commandTimeoutMs: cto,
    watchdogTimeoutMs: int('watchdogTimeoutMs'),
    hostProcDir: str('hostProcDir') ?? D.hostProcDir,
    ...(bool('dryRun') && { dryRun: true }),
    health: {
      enabled: bool('healthEnabled'),
      host: str('healthHost') ?? D.health.host,
      port: int('healthPort'),
    },
    metrics: {
      enabled: bool('metricsEnabled'),
      host: str('metricsHost') ?? D.metrics.host,
      port: int('metricsPort'),
    },
  })
}

/** Config fields safe to log once at startup (no key material). */
export function agentConfigLogFields(cfg: AgentConfig): Record<string, unknown> {
  return {
    nodeName: cfg.nodeName,
    cacheAddresses: cfg.cacheAddresses,
    cacheService: cfg.cacheService,
    tls:
      cfg.tls === undefined
        ? false
        : { caFile: cfg.tls.caFile, certFile: cfg.tls.certFile, serverCN: cfg.tls.serverCN },
    vxlan: cfg.vxlan,
    policy: cfg.policy,
    resyncIntervalMs: cfg.resyncIntervalMs,
    commandTimeoutMs: cfg.commandTimeoutMs,
    watchdogTimeoutMs: cfg.watchdogTimeoutMs,
    hostProcDir: cfg.hostProcDir,
    health: cfg.health,
    metrics: cfg.metrics,
  }
}

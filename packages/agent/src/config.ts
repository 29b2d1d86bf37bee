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
import { readFile } from 'node:fs/promises'
import { Option, type Command } from 'commander'
import { parse as parseYaml } from 'yaml'
import type { LevelWithSilent } from 'pino'
import { ConfigError, LOG_LEVELS, errorMessage } from '@cattail/common'
import { DEFAULT_DATAPLANE_LOOP_CONFIG } from './dataplane/dataplane-loop.js'
import { DEFAULT_VXLAN_DATAPLANE_CONFIG, type VxlanDataplaneConfig } from './dataplane/types.js'

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
  /** Full dataplane resync period, ms (Felix RouteRefreshInterval). @default 90000 */
  readonly resyncIntervalMs: number
  /** `/liveness`, `/readiness`. @default enabled on 127.0.0.1:9099 */
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
  resyncIntervalMs: DEFAULT_DATAPLANE_LOOP_CONFIG.resyncIntervalMs,
  health: { enabled: true, host: '127.0.0.1', port: 9099 },
  metrics: { enabled: true, host: '0.0.0.0', port: 9092 },
})

/** Default `--cache-port-name` (the port name in the cattail-cache Service). */
export const DEFAULT_CACHE_PORT_NAME = 'cattail-cache'

/** RFC 1123 label: namespaces, Service and port names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

type Kind = 'string' | 'int' | 'bool' | 'list'

interface OptionSpec {
  /** Commander attribute name = config-file key. */
  readonly key: string
  readonly flag: string
  readonly kind: Kind
  readonly help: string
  readonly default?: string
  readonly choices?: readonly string[]
}

const D = DEFAULT_AGENT_CONFIG
const V = DEFAULT_VXLAN_DATAPLANE_CONFIG

/** Every option of `cattail agent`, in help order. */
export const AGENT_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    kind: 'string',
    help: 'log level',
    default: D.logLevel,
    choices: LOG_LEVELS,
  },
  {
    key: 'nodeName',
    flag: '--node-name <name>',
    kind: 'string',
    help: "this node's name (required; falls back to $NODENAME)",
  },
  {
    key: 'cacheAddresses',
    flag: '--cache-addresses <urls>',
    kind: 'list',
    help: 'comma-separated cache URLs (ws://host:5473 or wss://…)',
  },
  {
    key: 'cacheService',
    flag: '--cache-service <namespace/name>',
    kind: 'string',
    help: "discover caches from this Service's EndpointSlices (ready endpoints, same node first)",
  },
  {
    key: 'cachePortName',
    flag: '--cache-port-name <name>',
    kind: 'string',
    help: 'name of the cache port in --cache-service (else its only port)',
    default: DEFAULT_CACHE_PORT_NAME,
  },
  {
    key: 'kubeconfig',
    flag: '--kubeconfig <path>',
    kind: 'string',
    help: 'kubeconfig for --cache-service (default: in-cluster service account)',
  },
  {
    key: 'tlsCaFile',
    flag: '--tls-ca-file <file>',
    kind: 'string',
    help: 'CA bundle that signs the cache certificate (mutual TLS)',
  },
  {
    key: 'tlsCertFile',
    flag: '--tls-cert-file <file>',
    kind: 'string',
    help: 'client certificate presented to the cache',
  },
  { key: 'tlsKeyFile', flag: '--tls-key-file <file>', kind: 'string', help: 'client private key' },
  {
    key: 'tlsServerName',
    flag: '--tls-server-name <name>',
    kind: 'string',
    help: 'host name to verify instead of the address host',
  },
  {
    key: 'tlsServerCn',
    flag: '--tls-server-cn <cn>',
    kind: 'string',
    help: 'required CN of the cache certificate',
  },
  {
    key: 'tlsServerUriSan',
    flag: '--tls-server-uri-san <uri>',
    kind: 'string',
    help: 'required URI SAN of the cache certificate',
  },
  {
    key: 'vxlanDevice',
    flag: '--vxlan-device <name>',
    kind: 'string',
    help: 'name of the VXLAN device',
    default: V.deviceName,
  },
  {
    key: 'vxlanVni',
    flag: '--vxlan-vni <vni>',
    kind: 'int',
    help: 'VXLAN network identifier',
    default: String(V.vni),
  },
  {
    key: 'vxlanPort',
    flag: '--vxlan-port <port>',
    kind: 'int',
    help: 'VXLAN UDP port',
    default: String(V.port),
  },
  {
    key: 'vxlanMtu',
    flag: '--vxlan-mtu <bytes>',
    kind: 'int',
    help: 'VXLAN device MTU (0 = parent MTU - 50)',
    default: String(V.mtu),
  },
  {
    key: 'routeProtocol',
    flag: '--route-protocol <n>',
    kind: 'int',
    help: 'route protocol number marking our routes (1-255)',
    default: String(V.routeProtocol),
  },
  {
    key: 'resyncIntervalMs',
    flag: '--resync-interval-ms <ms>',
    kind: 'int',
    help: 'full dataplane resync period (0 = only at start and after errors)',
    default: String(D.resyncIntervalMs),
  },
  {
    key: 'netlink',
    flag: '--netlink <bool>',
    kind: 'bool',
    help: 'use netlink for small change sets (false = iproute2 only)',
    default: String(V.useNetlink),
  },
  {
    key: 'netlinkMaxOps',
    flag: '--netlink-max-ops <n>',
    kind: 'int',
    help: 'larger change sets go through ip/bridge -batch',
    default: String(V.netlinkMaxOps),
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

/** `cacheAddresses` → `CATTAIL_AGENT_CACHE_ADDRESSES`. */
export function agentEnvName(key: string): string {
  return `CATTAIL_AGENT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`
}

/** Adds every agent option (with env var, default and help) and `--config-file` to `cmd`. */
export function addAgentOptions(cmd: Command): Command {
  cmd.addOption(
    new Option(
      '--config-file <file>',
      'YAML file of option values (keys are camelCase option names)'
    ).env(agentEnvName('configFile'))
  )
  for (const o of AGENT_OPTIONS) {
    const opt = new Option(o.flag, o.help).env(agentEnvName(o.key))
    if (o.default !== undefined) opt.default(o.default)
    if (o.choices !== undefined) opt.choices(o.choices)
    cmd.addOption(opt)
  }
  return cmd
}

/** Raw option values after precedence was applied. */
export type RawAgentOptions = Readonly<Record<string, unknown>>

/**
 * Reads `--config-file` (if any) into every option still at its default, then applies the
 * `NODENAME` fallback. Unknown file keys are configuration errors.
 */
export async function applyAgentConfigFile(
  cmd: Command,
  env: NodeJS.ProcessEnv = process.env
): Promise<RawAgentOptions> {
  const file = cmd.opts<Record<string, unknown>>()['configFile']
  if (typeof file === 'string' && file !== '') {
    let doc: unknown
    try {
      doc = parseYaml(await readFile(file, 'utf8'))
    } catch (err) {
      throw new ConfigError([`--config-file ${file}: ${errorMessage(err)}`])
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) {
        throw new ConfigError([`--config-file ${file}: expected a map of option names to values`])
      }
      const known = new Set(AGENT_OPTIONS.map((o) => o.key))
      const problems: string[] = []
      for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
        if (!known.has(k)) {
          problems.push(`--config-file ${file}: unknown key ${JSON.stringify(k)}`)
          continue
        }
        const source = cmd.getOptionValueSource(k)
        if (source === undefined || source === 'default') {
          cmd.setOptionValueWithSource(k, Array.isArray(v) ? v.map(String).join(',') : v, 'config')
        }
      }
      if (problems.length > 0) throw new ConfigError(problems)
    }
  }
  const nodeName = env['NODENAME']
  if (cmd.getOptionValue('nodeName') === undefined && nodeName !== undefined && nodeName !== '') {
    cmd.setOptionValueWithSource('nodeName', nodeName, 'env')
  }
  return cmd.opts()
}

const scalarText = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : ''

/** Validates raw option values; returns a frozen AgentConfig or throws a ConfigError listing every problem. */
export function parseAgentConfig(raw: RawAgentOptions): AgentConfig {
  const problems: string[] = []
  const values = new Map<string, unknown>()
  for (const o of AGENT_OPTIONS) {
    const v = raw[o.key] ?? o.default
    if (v === undefined || v === '') continue
    const name = o.flag.split(' ')[0] as string
    switch (o.kind) {
      case 'string':
        if (typeof v !== 'string' && typeof v !== 'number')
          problems.push(`${name}: expected a string`)
        else if (o.choices !== undefined && !o.choices.includes(String(v))) {
          problems.push(`${name}: ${JSON.stringify(v)} is not one of ${o.choices.join(', ')}`)
        } else values.set(o.key, String(v))
        break
      case 'int': {
        const n =
          typeof v === 'number'
            ? v
            : typeof v === 'string' && /^\s*\d+\s*$/.test(v)
              ? Number(v)
              : NaN
        if (!Number.isSafeInteger(n) || n < 0)
          problems.push(`${name}: expected a non-negative integer, got ${JSON.stringify(v)}`)
        else values.set(o.key, n)
        break
      }
      case 'bool': {
        const s = scalarText(v).toLowerCase()
        if (s === 'true' || s === '1' || s === 'yes') values.set(o.key, true)
        else if (s === 'false' || s === '0' || s === 'no') values.set(o.key, false)
        else problems.push(`${name}: expected true or false, got ${JSON.stringify(v)}`)
        break
      }
      case 'list':
        values.set(
          o.key,
          scalarText(v)
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        )
        break
    }
  }
  const str = (k: string): string | undefined => values.get(k) as string | undefined
  const int = (k: string): number => values.get(k) as number
  const bool = (k: string): boolean => values.get(k) as boolean
  const nodeName = str('nodeName')
  if (nodeName === undefined)
    problems.push('--node-name: required (or set NODENAME / CATTAIL_AGENT_NODE_NAME)')
  else if (nodeName.includes('/'))
    problems.push(`--node-name: ${JSON.stringify(nodeName)} must not contain "/"`)
  const cacheAddresses = (values.get('cacheAddresses') as string[] | undefined) ?? []
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
    resyncIntervalMs: int('resyncIntervalMs'),
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

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
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
    resyncIntervalMs: cfg.resyncIntervalMs,
    health: cfg.health,
    metrics: cfg.metrics,
  }
}

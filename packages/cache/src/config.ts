/**
 * The `cattail cache` configuration: one typed, frozen {@link CacheConfig}, its defaults, the
 * commander options that fill it and the validation that lists every problem at once.
 *
 * # Precedence
 * default < config file (YAML, `--config-file`) < environment (`CATTAIL_CACHE_*`) < flag. Commander
 * resolves default/env/flag itself (it records each option's source); after parsing, every option
 * whose source is still `default` takes the file's value (source `config`). Values are kept as
 * given (strings from flags and env, any YAML scalar from the file) and converted and checked in
 * one pass by {@link parseConfig}, which throws a `ConfigError` listing every problem.
 *
 * File keys are the options' camelCase names (`--etcd-endpoints` → `etcdEndpoints`).
 */
import { readFile } from 'node:fs/promises'
import { Option, type Command } from 'commander'
import { parse as parseYaml } from 'yaml'
import { ConfigError, LOG_LEVELS, errorMessage } from '@cattail/common'
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
}

/** Defaults for {@link CacheConfig}. */
export const DEFAULT_CACHE_CONFIG: CacheConfig = Object.freeze({
  logLevel: 'info' as const,
  datastore: { type: 'kubernetes' as const, kubeconfig: undefined },
  cache: DEFAULT_SNAPSHOT_CACHE_CONFIG,
  server: DEFAULT_SYNC_SERVER_CONFIG,
  health: { enabled: true, host: '0.0.0.0', port: 9098 },
  metrics: { enabled: true, host: '0.0.0.0', port: 9093 },
  healthIntervalMs: 10_000,
})

type Kind = 'string' | 'int' | 'bool' | 'list'

/** One option: flag, env var, default and help, plus how its raw value is converted. */
interface OptionSpec {
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

/** `logLevel` → `CATTAIL_CACHE_LOG_LEVEL`. */
export function envName(key: string): string {
  return `CATTAIL_CACHE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`
}

/** Adds every cache option (with env var and default) and `--config-file` to `cmd`. */
export function addCacheOptions(cmd: Command): Command {
  cmd.addOption(
    new Option(
      '--config-file <file>',
      'YAML file of option values (keys are camelCase option names)'
    ).env(envName('configFile'))
  )
  for (const o of CACHE_OPTIONS) {
    const opt = new Option(o.flag, o.help).env(envName(o.key))
    if (o.default !== undefined) opt.default(o.default)
    if (o.choices !== undefined) opt.choices(o.choices)
    cmd.addOption(opt)
  }
  return cmd
}

/** Raw option values after precedence was applied (strings, or YAML scalars from the file). */
export type RawOptions = Readonly<Record<string, unknown>>

/**
 * Reads `--config-file` (if any) and fills every option still at its default from it.
 * Unknown keys in the file are configuration errors.
 */
export async function applyConfigFile(cmd: Command): Promise<RawOptions> {
  const opts = cmd.opts<Record<string, unknown>>()
  const file = opts['configFile']
  if (typeof file !== 'string' || file === '') return opts
  let doc: unknown
  try {
    doc = parseYaml(await readFile(file, 'utf8'))
  } catch (err) {
    throw new ConfigError([`--config-file ${file}: ${errorMessage(err)}`])
  }
  if (doc === null || doc === undefined) return cmd.opts()
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError([`--config-file ${file}: expected a map of option names to values`])
  }
  const known = new Map(CACHE_OPTIONS.map((o) => [o.key, o]))
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
  return cmd.opts()
}

/** Validates raw option values; returns a frozen config or throws a ConfigError listing every problem. */
export function parseConfig(raw: RawOptions): CacheConfig {
  const problems: string[] = []
  const values = new Map<string, unknown>()
  for (const o of CACHE_OPTIONS) {
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
            : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)
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
  const list = (k: string): string[] => (values.get(k) as string[] | undefined) ?? []
  const bool = (k: string): boolean => values.get(k) as boolean

  let datastore: CacheDatastoreConfig = DEFAULT_CACHE_CONFIG.datastore
  const dsType = str('datastoreType') ?? 'kubernetes'
  switch (dsType) {
    case 'etcdv3': {
      const endpoints = list('etcdEndpoints')
      if (endpoints.length === 0)
        problems.push('--etcd-endpoints: required with --datastore-type etcdv3')
      for (const e of endpoints) {
        if (!/^https?:\/\/[^/]+/.test(e))
          problems.push(`--etcd-endpoints: ${JSON.stringify(e)} is not an http(s) URL`)
      }
      const certFile = str('etcdCert')
      const keyFile = str('etcdKey')
      if ((certFile === undefined) !== (keyFile === undefined)) {
        problems.push('--etcd-cert and --etcd-key: set both or neither')
      }
      datastore = {
        type: 'etcdv3',
        endpoints,
        username: str('etcdUsername'),
        password: str('etcdPassword'),
        caFile: str('etcdCa'),
        certFile,
        keyFile,
      }
      break
    }
    case 'file': {
      const dir = str('fileDir')
      if (dir === undefined) problems.push('--file-dir: required with --datastore-type file')
      datastore = { type: 'file', dir: dir ?? '' }
      break
    }
    default:
      datastore = { type: 'kubernetes', kubeconfig: str('kubeconfig') }
  }

  const tlsParts = [str('tlsCert'), str('tlsKey'), str('tlsCa')]
  const cns = list('clientCn')
  const uris = list('clientUriSan')
  let tls: SyncServerConfig['tls']
  if (tlsParts.some((p) => p !== undefined) || cns.length + uris.length > 0) {
    if (tlsParts.some((p) => p === undefined)) {
      problems.push('--tls-cert, --tls-key and --tls-ca: set all three to enable TLS')
    }
    if (cns.length + uris.length === 0) {
      problems.push('--client-cn or --client-uri-san: at least one is required with TLS')
    }
    tls = {
      certFile: tlsParts[0] ?? '',
      keyFile: tlsParts[1] ?? '',
      caFile: tlsParts[2] ?? '',
      allowedCNs: cns,
      allowedURISANs: uris,
    }
  }
  for (const k of ['port', 'healthPort', 'metricsPort']) {
    if (values.has(k) && int(k) > 65535) problems.push(`--${kebab(k)}: ${int(k)} is not a port`)
  }
  for (const k of [
    'pingIntervalMs',
    'maxBatchSize',
    'maxDeltaKvs',
    'snapshotChunkKvs',
    'dropIntervalMs',
    'healthIntervalMs',
  ]) {
    if (values.has(k) && int(k) === 0) problems.push(`--${kebab(k)}: must be greater than 0`)
  }
  if (
    values.has('maxConnectionsLower') &&
    values.has('maxConnectionsUpper') &&
    int('maxConnectionsLower') > int('maxConnectionsUpper')
  ) {
    problems.push('--max-connections-lower: must not exceed --max-connections-upper')
  }
  if (problems.length > 0) throw new ConfigError(problems)

  const cfg: CacheConfig = {
    logLevel: (str('logLevel') ?? 'info') as LevelWithSilent,
    datastore,
    cache: {
      maxBatchSize: int('maxBatchSize'),
      retainBytes: int('retainBytes'),
      retainMs: int('retainMs'),
    },
    server: {
      host: str('host') ?? S.host,
      port: int('port'),
      tls,
      handshakeTimeoutMs: int('handshakeTimeoutMs'),
      pingIntervalMs: int('pingIntervalMs'),
      pongTimeoutMs: int('pongTimeoutMs'),
      maxFallBehindMs: int('maxFallBehindMs'),
      newClientGraceMs: int('newClientGraceMs'),
      minBatchingAgeMs: int('minBatchingAgeMs'),
      maxDeltaKvs: int('maxDeltaKvs'),
      maxDeltaBytes: int('maxDeltaBytes'),
      snapshotChunkKvs: int('snapshotChunkKvs'),
      snapshotChunkBytes: int('snapshotChunkBytes'),
      snapshotReuseMs: int('snapshotReuseMs'),
      maxInboundBytes: int('maxInboundBytes'),
      highWaterBytes: int('highWaterBytes'),
      writeTimeoutMs: int('writeTimeoutMs'),
      dropIntervalMs: int('dropIntervalMs'),
      maxConnectionsUpper: int('maxConnectionsUpper'),
      maxConnectionsLower: int('maxConnectionsLower'),
      replicas: int('replicas'),
      shutdownTimeoutMs: int('shutdownTimeoutMs'),
      shutdownMaxDropIntervalMs: int('shutdownMaxDropIntervalMs'),
    },
    health: {
      enabled: bool('healthEnabled'),
      host: str('healthHost') ?? '',
      port: int('healthPort'),
    },
    metrics: {
      enabled: bool('metricsEnabled'),
      host: str('metricsHost') ?? '',
      port: int('metricsPort'),
    },
    healthIntervalMs: int('healthIntervalMs'),
  }
  return deepFreeze(cfg)
}

/** Flat fields for the startup log line. Never includes credentials (passwords, keys' contents). */
export function configLogFields(cfg: CacheConfig): Record<string, unknown> {
  const ds = cfg.datastore
  const datastore =
    ds.type === 'etcdv3'
      ? {
          type: ds.type,
          endpoints: ds.endpoints,
          username: ds.username,
          hasPassword: ds.password !== undefined,
          caFile: ds.caFile,
          certFile: ds.certFile,
          keyFile: ds.keyFile,
        }
      : ds
  return {
    logLevel: cfg.logLevel,
    datastore,
    cache: cfg.cache,
    server: {
      ...cfg.server,
      tls:
        cfg.server.tls === undefined
          ? 'off'
          : {
              certFile: cfg.server.tls.certFile,
              keyFile: cfg.server.tls.keyFile,
              caFile: cfg.server.tls.caFile,
              allowedCNs: cfg.server.tls.allowedCNs,
              allowedURISANs: cfg.server.tls.allowedURISANs,
            },
    },
    health: cfg.health,
    metrics: cfg.metrics,
    healthIntervalMs: cfg.healthIntervalMs,
  }
}

/** Text of a flag, env or YAML scalar value ('' for maps and lists, which are invalid here). */
function scalarText(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : ''
}

function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o)
    for (const v of Object.values(o)) deepFreeze(v)
  }
  return o
}

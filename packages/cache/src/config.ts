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
import type { Command } from 'commander'
import {
  ConfigError,
  addOptions,
  applyConfigFile as applyFile,
  deepFreeze,
  envNameFor,
  kebabCase as kebab,
  readOptionValues,
  type RawOptions,
} from '@cattail/common'
import { parseCidr } from '@cattail/datastore'
import type { LevelWithSilent } from 'pino'
import { DEFAULT_SYNC_SERVER_CONFIG, type SyncServerConfig } from './syncserver/server-config.js'
import { CACHE_OPTIONS, DEPRECATED_TLS_OPTIONS } from './config-options.js'
import {
  DEFAULT_CACHE_CONFIG,
  type CacheConfig,
  type CacheDatastoreConfig,
} from './config-types.js'

const S = DEFAULT_SYNC_SERVER_CONFIG
const D = DEFAULT_CACHE_CONFIG
const ENV_PREFIX = 'CATTAIL_CACHE'

export * from './config-types.js'
export { CACHE_OPTIONS } from './config-options.js'
export type { RawOptions } from '@cattail/common'

/** `logLevel` → `CATTAIL_CACHE_LOG_LEVEL`. */
export function envName(key: string): string {
  return envNameFor(ENV_PREFIX, key)
}

/** Adds every cache option (with env var and default) and `--config-file` to `cmd`. */
export function addCacheOptions(cmd: Command): Command {
  return addOptions(cmd, CACHE_OPTIONS, ENV_PREFIX)
}

/**
 * Reads `--config-file` (if any) and fills every option still at its default from it.
 * Unknown keys in the file are configuration errors.
 */
export function applyConfigFile(cmd: Command): Promise<RawOptions> {
  return applyFile(cmd, CACHE_OPTIONS)
}

/** Validates raw option values; returns a frozen config or throws a ConfigError listing every problem. */
export function parseConfig(raw: RawOptions): CacheConfig {
  const { values, problems } = readOptionValues(CACHE_OPTIONS, raw)
  const str = (k: string): string | undefined => values.str(k)
  const int = (k: string): number => values.int(k)
  const list = (k: string): string[] => values.list(k)
  const bool = (k: string): boolean => values.bool(k)

  let datastore: CacheDatastoreConfig
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

  const deprecations: string[] = []
  const tlsParts = DEPRECATED_TLS_OPTIONS.map(([oldKey, oldFlag, newFlag]) => {
    const newKey = `${oldKey}File`
    const now = str(newKey)
    const old = str(oldKey)
    if (old === undefined) return now
    deprecations.push(`${oldFlag} (${envName(oldKey)}) is deprecated; use ${newFlag}`)
    if (now !== undefined && now !== old)
      problems.push(`${oldFlag} and ${newFlag}: the same setting given twice with different values`)
    return now ?? old
  })
  const cns = list('clientCn')
  const uris = list('clientUriSan')
  let tls: SyncServerConfig['tls']
  if (tlsParts.some((p) => p !== undefined) || cns.length + uris.length > 0) {
    if (tlsParts.some((p) => p === undefined)) {
      problems.push(
        '--tls-cert-file, --tls-key-file and --tls-ca-file: set all three to enable TLS'
      )
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
    'tlsReloadIntervalMs',
    'replicaPollIntervalMs',
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
  const cacheService = str('cacheService')
  if (cacheService !== undefined && !/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(cacheService))
    problems.push(`--cache-service: ${JSON.stringify(cacheService)} is not <namespace>/<name>`)
  const serviceCidrs = list('serviceClusterIpRange')
  for (const c of serviceCidrs) {
    if (parseCidr(c) === undefined)
      problems.push(`--service-cluster-ip-range: ${JSON.stringify(c)} is not a CIDR`)
  }
  if (values.has('remoteObjectLimit') && int('remoteObjectLimit') === 0)
    problems.push('--remote-object-limit: must be greater than 0')
  if (problems.length > 0) throw new ConfigError(problems)

  const cfg: CacheConfig = {
    logLevel: (str('logLevel') ?? 'info') as LevelWithSilent,
    datastore,
    cache: {
      maxBatchSize: int('maxBatchSize'),
      batchWindowMs: int('batchWindowMs'),
      retainBytes: int('retainBytes'),
      retainMs: int('retainMs'),
    },
    server: {
      host: str('host') ?? S.host,
      port: int('port'),
      tls,
      handshakeTimeoutMs: int('handshakeTimeoutMs'),
      maxPendingHandshakes: int('maxPendingHandshakes'),
      maxConnectionsPerSource: int('maxConnectionsPerSource'),
      tlsReloadIntervalMs: int('tlsReloadIntervalMs'),
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
      ...(str('cacheService') !== undefined && { cacheService: str('cacheService') }),
      replicaPollIntervalMs: int('replicaPollIntervalMs'),
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
    deprecations,
    remotes: {
      enabled: bool('remoteClusters'),
      secretsNamespace: str('secretsNamespace') ?? D.remotes.secretsNamespace,
      inSyncTimeoutMs: int('remoteInSyncTimeoutMs'),
      allowKubeconfigExec: bool('allowRemoteKubeconfigExec'),
      serviceCidrs,
      objectLimit: int('remoteObjectLimit'),
    },
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
    remotes: cfg.remotes,
  }
}

/**
 * Connects the agent to the cattail cache with syncproto's reference SyncClient (WebSocket,
 * mutual TLS, resume with seq/epoch, snapshot diffing) and translates its callbacks into the
 * {@link UpdateSink} contract. The client stores and reports every KV slimmed to the fields the
 * agent's calcs read (projection.ts), not every decoded KV of every kind.
 *
 * Fail-static: the sink learns `connected: false` as soon as the connection drops; the daemon
 * closes the dataplane gate then, so nothing is withdrawn while the cache is unreachable. On
 * reconnect the client resumes from its last seq (or diffs a fresh snapshot against what it
 * holds), so only real changes reach the dataplane: an unchanged reconnect changes nothing.
 *
 * With `--cache-service` the client's `addressProvider` lists the Service's EndpointSlices at the
 * start of every round of attempts (see cache-discovery.ts); static `--cache-addresses` come
 * first in each round and are the fallback until the first list succeeds.
 */
import { readFile } from 'node:fs/promises'
import type { Logger } from '@cattail/common'
import type { SyncStatus } from '@cattail/model'
import {
  DEFAULT_SYNC_CLIENT_CONFIG,
  SyncClient,
  type SyncConnectionState,
} from '@cattail/syncproto'
import type { AgentConfig } from '../config.js'
import {
  CacheDiscovery,
  DEFAULT_CACHE_DISCOVERY_CONFIG,
  loadDiscoveryKubeConfig,
} from './cache-discovery.js'
import { createAgentProjection } from './projection.js'
import type { UpdateSink, UpdateSource } from './update-source.js'

/**
 * Builds the SyncClient-backed update source. Reads the TLS files and loads the kubeconfig now,
 * so a bad file fails the start (ConfigError for the kubeconfig).
 */
export async function createSyncSource(
  cfg: AgentConfig,
  sink: UpdateSink,
  log: Logger
): Promise<UpdateSource & { readonly client: SyncClient }> {
  const tls =
    cfg.tls === undefined
      ? undefined
      : {
          ca: await readFile(cfg.tls.caFile, 'utf8'),
          cert: await readFile(cfg.tls.certFile, 'utf8'),
          key: await readFile(cfg.tls.keyFile, 'utf8'),
          ...(cfg.tls.serverName !== undefined && { serverName: cfg.tls.serverName }),
          ...(cfg.tls.serverCN !== undefined && { expectedServerCN: cfg.tls.serverCN }),
          ...(cfg.tls.serverURISAN !== undefined && { expectedServerURISAN: cfg.tls.serverURISAN }),
        }
  const svc = cfg.cacheService
  const discovery =
    svc === undefined
      ? undefined
      : new CacheDiscovery(
          {
            ...DEFAULT_CACHE_DISCOVERY_CONFIG,
            namespace: svc.namespace,
            service: svc.name,
            portName: svc.portName,
            nodeName: cfg.nodeName,
            scheme: tls === undefined ? 'ws' : 'wss',
          },
          loadDiscoveryKubeConfig(svc.kubeconfig),
          log
        )
  let status: SyncStatus = 'wait-for-ready'
  let connected = false
  const client = new SyncClient(
    {
      ...DEFAULT_SYNC_CLIENT_CONFIG,
      addresses: cfg.cacheAddresses,
      ...(discovery !== undefined && {
        addressProvider: async (signal: AbortSignal) => [
          ...cfg.cacheAddresses,
          ...(await discovery.addresses(signal)),
        ],
      }),
      nodeName: cfg.nodeName,
      ...(tls !== undefined && { tls }),
      // The client stores (and reports) only the fields the agent's calcs read.
      project: createAgentProjection(),
      // The calcs keep what they need; the client keeps only digests to diff a resync against.
      retain: 'digest',
    },
    {
      onUpdates: (updates) => sink.onUpdates(updates),
      onStatus: (s) => {
        status = s
        sink.onStatus(status, connected)
      },
      onConnectionChange: (state: SyncConnectionState) => {
        const now = state === 'streaming' || state === 'snapshot'
        if (now === connected) return
        connected = now
        if (!connected) status = 'wait-for-ready'
        sink.onStatus(status, connected)
      },
    },
    log
  )
  return { client, start: (signal) => client.start(signal), stop: () => client.stop() }
}

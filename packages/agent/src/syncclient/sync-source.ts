/**
 * Connects the agent to the cattail cache with syncproto's reference SyncClient (WebSocket,
 * mutual TLS, resume with seq/epoch, snapshot diffing) and translates its callbacks into the
 * {@link UpdateSink} contract.
 *
 * Fail-static: the sink learns `connected: false` as soon as the connection drops; the daemon
 * closes the dataplane gate then, so nothing is withdrawn while the cache is unreachable. On
 * reconnect the client resumes from its last seq (or diffs a fresh snapshot against what it
 * holds), so only real changes reach the dataplane: an unchanged reconnect changes nothing.
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
import type { UpdateSink, UpdateSource } from './update-source.js'

/** Builds the SyncClient-backed update source (reads the TLS files now). */
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
  let status: SyncStatus = 'wait-for-ready'
  let connected = false
  const client = new SyncClient(
    {
      ...DEFAULT_SYNC_CLIENT_CONFIG,
      addresses: cfg.cacheAddresses,
      nodeName: cfg.nodeName,
      ...(tls !== undefined && { tls }),
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

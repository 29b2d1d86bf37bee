/** Configuration and callbacks of the reference sync client. */
import {
  CATTAIL_VERSION,
  ConfigError,
  DEFAULT_BACKOFF_CONFIG,
  type BackoffConfig,
} from '@cattail/common'
import type { KVUpdate, SyncStatus } from '@cattail/model'
import {
  DEFAULT_CLIENT_MAX_FRAME_BYTES,
  DEFAULT_MAX_KVS_PER_FRAME,
  DEFAULT_SYNCER_TYPE,
  SUPPORTED_FEATURES,
  SUPPORTED_SNAPSHOT_COMPRESSION,
} from '../messages/protocol.js'
import type { RemoteStatusEntry, SnapshotCompression } from '../messages/types.js'
import type { SyncRetain } from './sync-state.js'

/**
 * Mutual TLS towards the cache (Typha's client rules): the server certificate must chain to `ca`
 * and, when `expectedServerCN` and/or `expectedServerURISAN` is set, carry that CN or that URI SAN
 * (either is enough; the host name is then not checked). With neither set, the usual host name
 * check applies against `serverName` (or the address's host).
 */
export interface SyncClientTlsConfig {
  /** PEM contents of the CA bundle that signs the server certificate. */
  readonly ca: string
  /** PEM contents of the client certificate. */
  readonly cert: string
  /** PEM contents of the client key. */
  readonly key: string
  /** SNI and host name to verify instead of the address's host. */
  readonly serverName?: string
  /** Required subject CN of the server certificate. */
  readonly expectedServerCN?: string
  /** Required URI SAN of the server certificate (e.g. `spiffe://cluster/cattail-cache`). */
  readonly expectedServerURISAN?: string
}

/**
 * A dynamic source of server URLs (e.g. a Kubernetes Service's ready endpoints), asked at the start
 * of every round of attempts. The client keeps the returned order (put preferred servers first)
 * and tries each address once per round. `signal` fires when the client stops.
 */
export type SyncAddressProvider = (signal: AbortSignal) => Promise<readonly string[]>

/** Everything a SyncClient needs. */
export interface SyncClientConfig {
  /**
   * Server URLs (`ws://host:5473` or `wss://…`). Tried in shuffled order; every address is tried
   * once before any is retried. With an `addressProvider` this is only the initial fallback list
   * (used while the provider has not answered yet) and may be empty.
   */
  readonly addresses: readonly string[]
  /**
   * Asked for the addresses at the start of every round (when every known address was tried, and
   * after a connection that got through the handshake ends). A provider error is logged and the
   * last known list is used; an empty answer waits with the backoff and asks again; unusable
   * URLs are logged and skipped. @default none (static `addresses`)
   */
  readonly addressProvider?: SyncAddressProvider
  /** This node's name, sent in the hello. */
  readonly nodeName: string
  /** Stream to ask for. @default 'mesh' */
  readonly syncerType: string
  /** Build version sent in the hello (informational). @default CATTAIL_VERSION */
  readonly clientVersion: string
  /** Set for wss:// addresses. */
  readonly tls?: SyncClientTlsConfig
  /** Give up on an attempt if no ServerHello arrives within this, ms. @default 10000 */
  readonly connectTimeoutMs: number
  /** Reconnect when no frame (pings included) arrives for this long, ms. @default 30000 */
  readonly readTimeoutMs: number
  /** Delay between failed attempts. @default DEFAULT_BACKOFF_CONFIG (200 ms … 10 s) */
  readonly backoff: BackoffConfig
  /** Largest frame (and decompressed snapshot chunk) accepted, bytes. @default 64 MiB */
  readonly maxFrameBytes: number
  /** Most KVs accepted in one frame. @default 100000 */
  readonly maxKvsPerFrame: number
  /** Features to offer (tests turn resume off). @default SUPPORTED_FEATURES */
  readonly features: readonly string[]
  /** Snapshot compressions to offer, preferred first. @default ['deflate', 'none'] */
  readonly snapshotCompression: readonly SnapshotCompression[]
  /**
   * Maps every received KV (not deletions) to what the client stores and reports, before it is
   * stored: a consumer that reads few fields keeps only those (and a change confined to dropped
   * fields is then no change). Must be pure and must not throw. @default none (kept as decoded)
   */
  readonly project?: (u: KVUpdate) => KVUpdate
  /**
   * What the client holds of each (projected) value to diff a snapshot after a reconnect: the
   * value itself ('value': `state` carries it), or only a digest of it ('digest': a consumer that
   * keeps its own copy of what it needs does not pay for a second one; `digests` then carries
   * the keys, `state` is empty). @default 'value'
   */
  readonly retain?: SyncRetain
}

/** Defaults for everything but the addresses and the node name. */
export const DEFAULT_SYNC_CLIENT_CONFIG: Omit<SyncClientConfig, 'addresses' | 'nodeName'> = {
  syncerType: DEFAULT_SYNCER_TYPE,
  clientVersion: CATTAIL_VERSION,
  connectTimeoutMs: 10_000,
  readTimeoutMs: 30_000,
  backoff: DEFAULT_BACKOFF_CONFIG,
  maxFrameBytes: DEFAULT_CLIENT_MAX_FRAME_BYTES,
  maxKvsPerFrame: DEFAULT_MAX_KVS_PER_FRAME,
  features: SUPPORTED_FEATURES,
  snapshotCompression: SUPPORTED_SNAPSHOT_COMPRESSION,
}

/**
 * Where the client stands:
 * - `connecting`: dialling, TLS, WebSocket upgrade and hello exchange.
 * - `snapshot`: receiving a snapshot.
 * - `streaming`: in step with the server (resumed, or snapshot complete).
 * - `disconnected`: between attempts (backing off or honouring a GoAway).
 * - `stopped`: after stop().
 */
export type SyncConnectionState =
  'connecting' | 'snapshot' | 'streaming' | 'disconnected' | 'stopped'

/** What the client reports. Callbacks run synchronously on the event loop; a throw is logged. */
export interface SyncClientCallbacks {
  /** A snapshot (not a resume) begins on a new connection; changes follow via onUpdates. */
  onSnapshotStart?(info: { readonly epoch: string; readonly address: string }): void
  /** Real changes only: new keys, changed values and deletions (also synthesised ones). */
  onUpdates(updates: readonly KVUpdate[]): void
  /** The server's overall status and per-remote-cluster entries. */
  onStatus(status: SyncStatus, remotes: Readonly<Record<string, RemoteStatusEntry>>): void
  /** Connection state changes; `address` is the server involved, if any. */
  onConnectionChange?(state: SyncConnectionState, address: string | undefined): void
}

/** Why `address` cannot be used with this TLS setting, or undefined when it can. */
export function addressProblem(
  address: string,
  tls: SyncClientTlsConfig | undefined
): string | undefined {
  let url: URL | undefined
  try {
    url = new URL(address)
  } catch {
    return `${JSON.stringify(address)} is not a URL`
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    return `${address} must use ws:// or wss://`
  if (url.protocol === 'wss:' && tls === undefined)
    return `${address} is wss:// but no tls config is given`
  if (url.protocol === 'ws:' && tls !== undefined)
    return `${address} is ws:// but tls is configured (use wss://)`
  return undefined
}

/** Checks a config; throws ConfigError listing every problem. */
export function validateSyncClientConfig(cfg: SyncClientConfig): void {
  const problems: string[] = []
  if (cfg.addresses.length === 0 && cfg.addressProvider === undefined)
    problems.push('addresses: at least one server address (or an addressProvider) is needed')
  for (const a of cfg.addresses) {
    const problem = addressProblem(a, cfg.tls)
    if (problem !== undefined) problems.push(`addresses: ${problem}`)
  }
  if (cfg.nodeName === '') problems.push('nodeName: must not be empty')
  for (const [k, v] of Object.entries({
    connectTimeoutMs: cfg.connectTimeoutMs,
    readTimeoutMs: cfg.readTimeoutMs,
    maxFrameBytes: cfg.maxFrameBytes,
    maxKvsPerFrame: cfg.maxKvsPerFrame,
  })) {
    if (!Number.isFinite(v) || v <= 0) problems.push(`${k}: must be a positive number`)
  }
  if (problems.length > 0) throw new ConfigError(problems)
}

/**
 * Reading a cache's snapshot the way an agent does, shared by `cattail status` and `cattail policy
 * trace`: the `--cache`/`--timeout-ms`/mTLS flags, and a one-shot client that waits for in-sync
 * (or the timeout) and returns every KV it holds with the sync status.
 */
import { Option, type Command } from 'commander'
import { readFileSync } from 'node:fs'
import { ConfigError, type Logger } from '@cattail/common'
import type { KVUpdate, SyncStatus } from '@cattail/model'
import {
  DEFAULT_SYNC_CLIENT_CONFIG,
  SyncClient,
  type RemoteStatusEntry,
  type SyncClientTlsConfig,
} from '@cattail/syncproto'

/** Options of {@link readCacheSnapshot}. */
export interface CacheSnapshotOptions {
  readonly addresses: readonly string[]
  readonly timeoutMs: number
  readonly tls?: SyncClientTlsConfig
  readonly log: Logger
  /** Node name sent in the hello. @default 'cattail-cli' */
  readonly clientName?: string
}

/** What a cache served. */
export interface CacheSnapshot {
  readonly status: SyncStatus
  readonly remotes: Readonly<Record<string, RemoteStatusEntry>>
  /** Every KV by key, as the client holds it when in sync (or at the timeout). */
  readonly kvs: ReadonlyMap<string, KVUpdate>
}

/** Connects, waits until in sync (or the timeout), copies the state and disconnects. */
export async function readCacheSnapshot(opts: CacheSnapshotOptions): Promise<CacheSnapshot> {
  let status: SyncStatus = 'wait-for-ready'
  let remotes: Readonly<Record<string, RemoteStatusEntry>> = {}
  let resolveInSync: () => void = () => undefined
  const inSync = new Promise<void>((resolve) => (resolveInSync = resolve))
  const client = new SyncClient(
    {
      ...DEFAULT_SYNC_CLIENT_CONFIG,
      addresses: opts.addresses,
      nodeName: opts.clientName ?? 'cattail-cli',
      ...(opts.tls !== undefined && { tls: opts.tls }),
    },
    {
      onUpdates: () => undefined,
      onStatus: (s, r) => {
        status = s
        remotes = r
        if (s === 'in-sync') resolveInSync()
      },
    },
    opts.log
  )
  await client.start()
  const timer = new Promise<void>((resolve) => setTimeout(resolve, opts.timeoutMs).unref())
  await Promise.race([inSync, timer])
  const kvs = new Map(client.state)
  await client.stop()
  return { status, remotes, kvs }
}

/** Adds `--cache`, `--timeout-ms`, `--ca-file`, `--cert-file`, `--key-file`. */
export function addCacheClientOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--cache <urls>', 'comma-separated cache addresses (ws:// or wss://)')
        .env('CATTAIL_CACHE_ADDRESSES')
        .default('ws://127.0.0.1:5473')
    )
    .addOption(new Option('--timeout-ms <ms>', 'how long to wait for in-sync').default('10000'))
    .addOption(new Option('--ca-file <path>', 'CA bundle for wss:// (mTLS)'))
    .addOption(new Option('--cert-file <path>', 'client certificate for mTLS'))
    .addOption(new Option('--key-file <path>', 'client key for mTLS'))
}

/** Reads the flags of {@link addCacheClientOptions}. @throws {ConfigError} */
export function cacheClientSettings(
  o: Readonly<Record<string, string | undefined>>
): Omit<CacheSnapshotOptions, 'log'> {
  const timeoutMs = Number(o['timeoutMs'])
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigError([`--timeout-ms: ${o['timeoutMs']} is not a positive number`])
  }
  const files = [o['caFile'], o['certFile'], o['keyFile']]
  const tlsSet = files.filter((f) => f !== undefined).length
  if (tlsSet !== 0 && tlsSet !== 3) {
    throw new ConfigError(['--ca-file, --cert-file and --key-file go together'])
  }
  const [ca, cert, key] = files
  return {
    addresses: (o['cache'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    timeoutMs,
    ...(ca !== undefined &&
      cert !== undefined &&
      key !== undefined && {
        tls: {
          ca: readFileSync(ca, 'utf8'),
          cert: readFileSync(cert, 'utf8'),
          key: readFileSync(key, 'utf8'),
        },
      }),
  }
}

/**
 * `cattail status`: connects to a cache like an agent would, waits for the snapshot, reads the
 * cache's JSON `/status` (health port) for remote state ages and agent connections, and prints
 * (status-report.ts) the overall sync status, each remote cluster's state, time in state, last
 * error and object counts, and the agents with their lag; `-o json` prints the same as JSON. Exit
 * code 0 when the cache and every remote are in sync, 1 otherwise.
 */
import { Command, Option } from 'commander'
import { readFileSync } from 'node:fs'
import type { CacheStatusDocument } from '@cattail/cache'
import { createRootLogger, ConfigError, errorMessage, type Logger } from '@cattail/common'
import { parseKey, type SyncStatus } from '@cattail/model'
import {
  DEFAULT_SYNC_CLIENT_CONFIG,
  SyncClient,
  type RemoteStatusEntry,
  type SyncClientTlsConfig,
} from '@cattail/syncproto'
import { runAgentStatus } from './agent-status.js'
import { type StatusReport, formatStatus, isHealthy, statusDocument } from './status-report.js'

export { type StatusReport, formatStatus, isHealthy, statusDocument } from './status-report.js'

/** Options of {@link collectStatus}. */
export interface CollectStatusOptions {
  readonly addresses: readonly string[]
  readonly timeoutMs: number
  readonly tls?: SyncClientTlsConfig
  readonly log: Logger
  /** The cache's `/status` URL; not read when undefined. */
  readonly statusUrl?: string
}

/** The default `/status` URL: the first cache address's host on the health port 9098. */
export function defaultStatusUrl(addresses: readonly string[]): string | undefined {
  const first = addresses[0]
  if (first === undefined) return undefined
  try {
    return `http://${new URL(first).hostname}:9098/status`
  } catch {
    return undefined
  }
}

async function readCacheStatus(
  url: string
): Promise<{ cache: CacheStatusDocument } | { cacheError: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
    if (!res.ok) return { cacheError: `${url}: HTTP ${res.status}` }
    const doc = (await res.json()) as CacheStatusDocument
    if (!Array.isArray(doc.remotes) || !Array.isArray(doc.connections))
      return { cacheError: `${url}: not a cache status document` }
    return { cache: doc }
  } catch (err) {
    return { cacheError: `${url}: ${errorMessage(err)}` }
  }
}

/** Connects, waits until in sync (or the timeout), and returns what was seen. */
export async function collectStatus(opts: CollectStatusOptions): Promise<StatusReport> {
  let status: SyncStatus = 'wait-for-ready'
  let remotes: Readonly<Record<string, RemoteStatusEntry>> = {}
  let resolveInSync: () => void = () => undefined
  const inSync = new Promise<void>((resolve) => (resolveInSync = resolve))
  const client = new SyncClient(
    {
      ...DEFAULT_SYNC_CLIENT_CONFIG,
      addresses: opts.addresses,
      nodeName: 'cattail-status',
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
  const counts = new Map<string, Map<string, number>>()
  for (const key of client.state.keys()) {
    const k = parseKey(key)
    if (k === undefined) continue
    const cluster = k.cluster ?? 'local'
    const perKind = counts.get(cluster) ?? new Map<string, number>()
    perKind.set(k.kind, (perKind.get(k.kind) ?? 0) + 1)
    counts.set(cluster, perKind)
  }
  await client.stop()
  const cache = opts.statusUrl !== undefined ? await readCacheStatus(opts.statusUrl) : {}
  return { addresses: opts.addresses, status, remotes, counts, ...cache }
}

/** Builds the `status` command. */
export function statusCommand(): Command {
  return new Command('status')
    .description(
      'Connect to a cattail cache as an agent would and print the sync status, each remote cluster state and object counts per cluster.'
    )
    .addOption(
      new Option('--cache <urls>', 'comma-separated cache addresses (ws:// or wss://)')
        .env('CATTAIL_CACHE_ADDRESSES')
        .default('ws://127.0.0.1:5473')
    )
    .addOption(new Option('--timeout-ms <ms>', 'how long to wait for in-sync').default('10000'))
    .addOption(
      new Option(
        '--status-url <url>',
        "the cache's JSON /status (default: http://<first cache host>:9098/status)"
      )
    )
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text')
    )
    .addOption(new Option('--ca-file <path>', 'CA bundle for wss:// (mTLS)'))
    .addOption(new Option('--cert-file <path>', 'client certificate for mTLS'))
    .addOption(new Option('--key-file <path>', 'client key for mTLS'))
    .addOption(
      new Option(
        '--agent <url>',
        "read a node agent's /status instead (e.g. http://127.0.0.1:9099)"
      )
    )
    .action(async (o: Record<string, string | undefined>) => {
      const timeoutMs = Number(o['timeoutMs'])
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
        throw new ConfigError([`--timeout-ms: ${o['timeoutMs']} is not a positive number`])
      }
      const agent = o['agent']
      if (agent !== undefined) {
        process.exitCode = await runAgentStatus(agent, timeoutMs)
        return
      }
      const files = [o['caFile'], o['certFile'], o['keyFile']]
      const tlsSet = files.filter((f) => f !== undefined).length
      if (tlsSet !== 0 && tlsSet !== 3) {
        throw new ConfigError(['--ca-file, --cert-file and --key-file go together'])
      }
      const [ca, cert, key] = files
      const addresses = (o['cache'] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
      const statusUrl = o['statusUrl'] ?? defaultStatusUrl(addresses)
      const report = await collectStatus({
        addresses,
        timeoutMs,
        ...(statusUrl !== undefined && { statusUrl }),
        log: createRootLogger('warn', 'cli'),
        ...(ca !== undefined &&
          cert !== undefined &&
          key !== undefined && {
            tls: {
              ca: readFileSync(ca, 'utf8'),
              cert: readFileSync(cert, 'utf8'),
              key: readFileSync(key, 'utf8'),
            },
          }),
      })
      const now = Date.now()
      process.stdout.write(
        (o['output'] === 'json'
          ? JSON.stringify(statusDocument(report, now), null, 2)
          : formatStatus(report, now)) + '\n'
      )
      process.exitCode = isHealthy(report) ? 0 : 1
    })
}

/**
 * `cattail status`: connects to a cache like an agent would, waits for the snapshot, and prints
 * the overall sync status, each remote cluster's state, and how many objects of each kind came
 * from each cluster. Exit code 0 when in sync, 1 when not in sync within the timeout.
 */
import { Command, Option } from 'commander'
import { readFileSync } from 'node:fs'
import { createRootLogger, ConfigError, type Logger } from '@cattail/common'
import { parseKey, type SyncStatus } from '@cattail/model'
import {
  DEFAULT_SYNC_CLIENT_CONFIG,
  SyncClient,
  type RemoteStatusEntry,
  type SyncClientTlsConfig,
} from '@cattail/syncproto'
import { runAgentStatus } from './agent-status.js'

/** What `status` observed. */
export interface StatusReport {
  readonly status: SyncStatus
  readonly remotes: Readonly<Record<string, RemoteStatusEntry>>
  /** cluster ('local' or the RCC name) → kind → count */
  readonly counts: ReadonlyMap<string, ReadonlyMap<string, number>>
}

/** Options of {@link collectStatus}. */
export interface CollectStatusOptions {
  readonly addresses: readonly string[]
  readonly timeoutMs: number
  readonly tls?: SyncClientTlsConfig
  readonly log: Logger
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
  return { status, remotes, counts }
}

/** Renders a report as the table `cattail status` prints. */
export function formatStatus(r: StatusReport): string {
  const lines = [`sync status: ${r.status}`, '']
  const names = Object.keys(r.remotes).sort()
  lines.push(names.length === 0 ? 'remote clusters: none' : 'remote clusters:')
  for (const n of names) {
    const e = r.remotes[n]
    if (e === undefined) continue
    lines.push(`  ${n.padEnd(24)} ${e.status}${e.error !== undefined ? `  (${e.error})` : ''}`)
  }
  lines.push('', 'objects:')
  const clusters = [...r.counts.keys()].sort((a, b) =>
    a === 'local' ? -1 : b === 'local' ? 1 : a.localeCompare(b)
  )
  for (const c of clusters) {
    const kinds = r.counts.get(c) ?? new Map<string, number>()
    const parts = [...kinds.entries()].sort(([a], [b]) => a.localeCompare(b))
    lines.push(`  ${c.padEnd(24)} ${parts.map(([k, n]) => `${k}=${n}`).join(' ')}`)
  }
  return lines.join('\n')
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
      const report = await collectStatus({
        addresses: (o['cache'] ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
        timeoutMs,
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
      process.stdout.write(formatStatus(report) + '\n')
      process.exitCode = report.status === 'in-sync' ? 0 : 1
    })
}

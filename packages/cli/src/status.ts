/**
 * `cattail status`: connects to a cache like an agent would, waits for the snapshot, and prints
 * the overall sync status, each remote cluster's state, and how many objects of each kind came
 * from each cluster. Exit code 0 when in sync, 1 when not in sync within the timeout.
 */
import { Command } from 'commander'
import { createRootLogger } from '@cattail/common'
import { parseKey, type SyncStatus } from '@cattail/model'
import type { RemoteStatusEntry } from '@cattail/syncproto'
import {
  addCacheClientOptions,
  cacheClientSettings,
  readCacheSnapshot,
  type CacheSnapshotOptions,
} from './cache-client.js'

/** What `status` observed. */
export interface StatusReport {
  readonly status: SyncStatus
  readonly remotes: Readonly<Record<string, RemoteStatusEntry>>
  /** cluster ('local' or the RCC name) → kind → count */
  readonly counts: ReadonlyMap<string, ReadonlyMap<string, number>>
}

/** Options of {@link collectStatus}. */
export type CollectStatusOptions = CacheSnapshotOptions

/** Connects, waits until in sync (or the timeout), and returns what was seen. */
export async function collectStatus(opts: CollectStatusOptions): Promise<StatusReport> {
  const snap = await readCacheSnapshot({ clientName: 'cattail-status', ...opts })
  const counts = new Map<string, Map<string, number>>()
  for (const key of snap.kvs.keys()) {
    const k = parseKey(key)
    if (k === undefined) continue
    const cluster = k.cluster ?? 'local'
    const perKind = counts.get(cluster) ?? new Map<string, number>()
    perKind.set(k.kind, (perKind.get(k.kind) ?? 0) + 1)
    counts.set(cluster, perKind)
  }
  return { status: snap.status, remotes: snap.remotes, counts }
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
  const cmd = new Command('status').description(
    'Connect to a cattail cache as an agent would and print the sync status, each remote cluster state and object counts per cluster.'
  )
  addCacheClientOptions(cmd)
  return cmd.action(async (o: Record<string, string | undefined>) => {
    const report = await collectStatus({
      ...cacheClientSettings(o),
      log: createRootLogger('warn', 'cli'),
    })
    process.stdout.write(formatStatus(report) + '\n')
    process.exitCode = report.status === 'in-sync' ? 0 : 1
  })
}

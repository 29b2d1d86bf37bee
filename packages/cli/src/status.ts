/**
 * `cattail status`: connects to a cache like an agent would, waits for the snapshot, reads the
 * cache's JSON `/status` (health port) for remote state ages and agent connections, and prints
 * (status-report.ts) the overall sync status, each remote cluster's state, time in state, last
 * error and object counts, and the agents with their lag; `-o json` prints the same as JSON. Exit
 * code 0 when the cache and every remote are in sync, 1 otherwise.
 */
import { Command, Option } from 'commander'
import type { CacheStatusDocument } from '@cattail/cache'
import { createRootLogger, errorMessage } from '@cattail/common'
import { parseKey } from '@cattail/model'
import { runAgentStatus } from './agent-status.js'
import {
  addCacheClientOptions,
  cacheClientSettings,
  readCacheSnapshot,
  type CacheSnapshotOptions,
} from './cache-client.js'
import {
  type RemoteGuardFacts,
  type StatusReport,
  formatStatus,
  isHealthy,
  statusDocument,
} from './status-report.js'

export { type StatusReport, formatStatus, isHealthy, statusDocument } from './status-report.js'

/** Options of {@link collectStatus}. */
export interface CollectStatusOptions extends CacheSnapshotOptions {
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
  const guards = new Map<string, RemoteGuardFacts>()
  for (const kv of snap.kvs.values()) {
    if (kv.value?.kind !== 'RemoteClusterStatus') continue
    const { rejected, lastRejection, vtepMacConflicts } = kv.value.spec
    guards.set(kv.value.metadata.name, {
      ...(rejected !== undefined && { rejected }),
      ...(lastRejection !== undefined && { lastRejection }),
      ...(vtepMacConflicts !== undefined && { vtepMacConflicts }),
    })
  }
  const cache = opts.statusUrl !== undefined ? await readCacheStatus(opts.statusUrl) : {}
  return {
    addresses: opts.addresses,
    status: snap.status,
    remotes: snap.remotes,
    counts,
    guards,
    ...cache,
  }
}

/** Builds the `status` command. */
export function statusCommand(): Command {
  const cmd = new Command('status').description(
    'Connect to a cattail cache as an agent would and print the sync status, each remote cluster state and object counts per cluster.'
  )
  return addCacheClientOptions(cmd)
    .addOption(
      new Option(
        '--status-url <url>',
        "the cache's JSON /status (default: http://<first cache host>:9098/status)"
      )
    )
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text')
    )
    .addOption(
      new Option(
        '--agent <url>',
        "read a node agent's /status instead (e.g. http://127.0.0.1:9099)"
      )
    )
    .action(async (o: Record<string, string | undefined>) => {
      const settings = cacheClientSettings(o)
      const agent = o['agent']
      if (agent !== undefined) {
        process.exitCode = await runAgentStatus(agent, settings.timeoutMs)
        return
      }
      const statusUrl = o['statusUrl'] ?? defaultStatusUrl(settings.addresses)
      const report = await collectStatus({
        ...settings,
        ...(statusUrl !== undefined && { statusUrl }),
        log: createRootLogger('warn', 'cli'),
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

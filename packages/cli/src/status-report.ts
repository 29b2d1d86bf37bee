/**
 * What `cattail status` prints, in the spirit of `cilium clustermesh status`: the cache's sync
 * status, per remote cluster its state, time in state, last error and object counts (endpoints,
 * nodes, pools, blocks), and the agents connected to the cache with their lag. Pure: a report in,
 * text or a JSON document out.
 */
import type { RemoteClusterState, SyncStatus } from '@cattail/model'
import type { CacheStatusDocument } from '@cattail/cache'
import type { RemoteStatusEntry } from '@cattail/syncproto'

/** What `status` observed. */
export interface StatusReport {
  /** The cache addresses asked. */
  readonly addresses: readonly string[]
  readonly status: SyncStatus
  readonly remotes: Readonly<Record<string, RemoteStatusEntry>>
  /** cluster ('local' or the RCC name) → kind → count */
  readonly counts: ReadonlyMap<string, ReadonlyMap<string, number>>
  /** The cache's `/status` document, when it could be read. */
  readonly cache?: CacheStatusDocument
  /** Why `/status` could not be read. */
  readonly cacheError?: string
  /** Per remote: what the mesh layer refused of it, from its RemoteClusterStatus object. */
  readonly guards?: ReadonlyMap<string, RemoteGuardFacts>
}

/** What the mesh layer refused of one remote (issue: a remote is a separate trust domain). */
export interface RemoteGuardFacts {
  /** Refused objects by reason (overlaps, bad VTEP MACs, the object limit). */
  readonly rejected?: Readonly<Record<string, number>>
  readonly lastRejection?: string
  /** Nodes whose derived VTEP MAC collides with a same-named node of another cluster. */
  readonly vtepMacConflicts?: readonly string[]
}

/** Counted kinds, as `status` names them. */
const COUNTED = [
  ['endpoints', 'WorkloadEndpoint'],
  ['nodes', 'Node'],
  ['pools', 'IPPool'],
  ['blocks', 'IPAMBlock'],
] as const

/** A remote as reported. */
export interface RemoteSummary {
  readonly name: string
  readonly state: RemoteClusterState
  /** Seconds in the current state (when the cache's `/status` was read). */
  readonly secondsInState?: number
  readonly lastError?: string
  readonly counts: Record<(typeof COUNTED)[number][0], number>
  /** Refused objects by reason, the last refusal, and VTEP MAC conflicts (when any). */
  readonly rejected?: Readonly<Record<string, number>>
  readonly lastRejection?: string
  readonly vtepMacConflicts?: readonly string[]
}

/** The JSON form of a report (`-o json`). */
export interface StatusDocument {
  readonly healthy: boolean
  readonly cache: {
    readonly addresses: readonly string[]
    readonly status: SyncStatus
    readonly statusError?: string
  }
  readonly local: Record<string, number>
  readonly remotes: readonly RemoteSummary[]
  readonly connections?: CacheStatusDocument['connections']
}

/** True when the cache is in sync and every remote is InSync (exit code 0). */
export function isHealthy(r: StatusReport): boolean {
  return r.status === 'in-sync' && Object.values(r.remotes).every((e) => e.status === 'InSync')
}

/** Builds the JSON document; `nowMs` dates the time in state. */
export function statusDocument(r: StatusReport, nowMs: number): StatusDocument {
  const since = new Map((r.cache?.remotes ?? []).map((x) => [x.name, x.since]))
  const remotes = Object.keys(r.remotes)
    .sort()
    .map((name): RemoteSummary => {
      const e = r.remotes[name] ?? { status: 'ConnectionFailed' as const }
      const kinds = r.counts.get(name)
      const s = since.get(name)
      const g = r.guards?.get(name)
      return {
        name,
        state: e.status,
        ...(s !== undefined && {
          secondsInState: Math.max(0, Math.round((nowMs - Date.parse(s)) / 1000)),
        }),
        ...(e.error !== undefined && { lastError: e.error }),
        counts: Object.fromEntries(
          COUNTED.map(([k, kind]) => [k, kinds?.get(kind) ?? 0])
        ) as RemoteSummary['counts'],
        ...(g?.rejected !== undefined &&
          Object.keys(g.rejected).length > 0 && { rejected: g.rejected }),
        ...(g?.lastRejection !== undefined && { lastRejection: g.lastRejection }),
        ...(g?.vtepMacConflicts !== undefined &&
          g.vtepMacConflicts.length > 0 && { vtepMacConflicts: g.vtepMacConflicts }),
      }
    })
  return {
    healthy: isHealthy(r),
    cache: {
      addresses: r.addresses,
      status: r.status,
      ...(r.cacheError !== undefined && { statusError: r.cacheError }),
    },
    local: Object.fromEntries(
      [...(r.counts.get('local') ?? new Map<string, number>())]
        .filter(([k]) => k !== 'RemoteClusterStatus')
        .sort()
    ),
    remotes,
    ...(r.cache !== undefined && { connections: r.cache.connections }),
  }
}

/** `1h2m3s`, `4m0s`, `12s`. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`
}

/** Renders a report as the text `cattail status` prints. */
export function formatStatus(r: StatusReport, nowMs: number): string {
  const d = statusDocument(r, nowMs)
  const lines: string[] = []
  const conns = d.connections
  const lags = (conns ?? []).flatMap((c) => (c.lagMs !== undefined ? [c.lagMs] : []))
  lines.push(
    `Cache:            ${d.cache.status} (${d.cache.addresses.join(', ')})` +
      (conns !== undefined
        ? `, ${conns.length} agent connection(s)` +
          (lags.length > 0 ? `, max lag ${Math.max(...lags)} ms` : '')
        : '')
  )
  if (d.cache.statusError !== undefined)
    lines.push(`                  (cache /status not read: ${d.cache.statusError})`)
  const local = Object.entries(d.local)
  lines.push(
    `Local objects:    ${local.length === 0 ? 'none' : local.map(([k, n]) => `${k}=${n}`).join(' ')}`
  )
  const good = d.remotes.filter((x) => x.state === 'InSync').length
  lines.push('', `Remote clusters:  ${good}/${d.remotes.length} in sync`)
  const width = Math.max(8, ...d.remotes.map((x) => x.name.length))
  for (const x of d.remotes) {
    const mark = x.state === 'InSync' ? '✔' : '✖'
    const age = x.secondsInState !== undefined ? `for ${formatDuration(x.secondsInState)}` : 'for ?'
    const counts = Object.entries(x.counts)
      .map(([k, n]) => `${k}=${n}`)
      .join(' ')
    lines.push(
      `  ${mark} ${x.name.padEnd(width)}  ${x.state.padEnd(18)} ${age.padEnd(12)} ${counts}`
    )
    if (x.lastError !== undefined) lines.push(`      last error: ${x.lastError}`)
    if (x.rejected !== undefined) {
      const why = Object.entries(x.rejected)
        .map(([k, n]) => `${k}=${n}`)
        .join(' ')
      lines.push(`      refused objects: ${why}`)
      if (x.lastRejection !== undefined) lines.push(`      last refusal: ${x.lastRejection}`)
    }
    if (x.vtepMacConflicts !== undefined)
      lines.push(
        `      VTEP MAC conflicts: ${x.vtepMacConflicts.join(', ')} (publish vxlanTunnelMACAddr on one of them)`
      )
  }
  if (conns !== undefined) {
    lines.push('', `Agents connected: ${conns.length}`)
    for (const c of conns)
      lines.push(
        `  ${(c.node ?? '?').padEnd(width)}  ${(c.address ?? '').padEnd(16)} ${c.state.padEnd(10)} seq ${c.sentSeq}` +
          (c.lagMs !== undefined ? `  lag ${c.lagMs} ms` : '')
      )
  }
  lines.push('', d.healthy ? 'Status: OK' : 'Status: NOT IN SYNC (exit code 1)')
  return lines.join('\n')
}

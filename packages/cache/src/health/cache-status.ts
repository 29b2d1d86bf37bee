/**
 * The cache's `/status` document (JSON, on the health port) that `cattail status` reads beside the
 * snapshot: the sync status, each remote cluster's state with the time it entered it and its last
 * error, and each client connection with its node and lag. Built from the daemon's live objects;
 * the builder itself is pure.
 */
import type { RemoteClusterState, SyncStatus } from '@cattail/model'

/** One remote cluster in `/status`. */
export interface CacheStatusRemote {
  readonly name: string
  readonly state: RemoteClusterState
  /** When the state began (ISO 8601), when known. */
  readonly since?: string
  readonly error?: string
}

/** One client connection in `/status`. */
export interface CacheStatusConnection {
  readonly id: string
  readonly node?: string
  readonly address?: string
  readonly state: string
  readonly mode?: string
  readonly sentSeq: number
  readonly lagMs?: number
}

/** The `/status` document. */
export interface CacheStatusDocument {
  readonly status: SyncStatus
  readonly latestSeq: number
  readonly size: number
  readonly remotes: readonly CacheStatusRemote[]
  readonly connections: readonly CacheStatusConnection[]
}

/** What the builder reads. */
export interface CacheStatusInputs {
  readonly status: SyncStatus
  readonly latestSeq: number
  readonly size: number
  readonly remotes: ReadonlyMap<
    string,
    { readonly status: RemoteClusterState; readonly error?: string }
  >
  readonly since: (remote: string) => number | undefined
  readonly connections: Iterable<{
    readonly id: string
    readonly nodeName: string | undefined
    readonly socket: { readonly remoteAddress?: string | undefined }
    readonly state: string
    readonly mode: string | undefined
    readonly sentSeq: number
    readonly lagMs: number | undefined
  }>
}

/** Builds the document (remotes and connections sorted by name). */
export function buildCacheStatus(i: CacheStatusInputs): CacheStatusDocument {
  const remotes = [...i.remotes].map(([name, r]): CacheStatusRemote => {
    const since = i.since(name)
    return {
      name,
      state: r.status,
      ...(since !== undefined && { since: new Date(since).toISOString() }),
      ...(r.error !== undefined && { error: r.error }),
    }
  })
  const connections = [...i.connections].map((c): CacheStatusConnection => ({
    id: c.id,
    ...(c.nodeName !== undefined && { node: c.nodeName }),
    ...(c.socket.remoteAddress !== undefined && { address: c.socket.remoteAddress }),
    state: c.state,
    ...(c.mode !== undefined && { mode: c.mode }),
    sentSeq: c.sentSeq,
    ...(c.lagMs !== undefined && { lagMs: c.lagMs }),
  }))
  return {
    status: i.status,
    latestSeq: i.latestSeq,
    size: i.size,
    remotes: remotes.sort((a, b) => a.name.localeCompare(b.name)),
    connections: connections.sort((a, b) => (a.node ?? a.id).localeCompare(b.node ?? b.id)),
  }
}

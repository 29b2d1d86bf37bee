/**
 * The snapshot cache: the current state of every KV the syncer reported, plus a forward-linked
 * list of breadcrumbs that clients follow at their own pace (Typha's `snapcache`).
 *
 * # Overview
 * ```
 *  Syncer ──onUpdates/onStatus──▶ pending ──setImmediate──▶ flush()
 *                                                 │ encode each KV once, drop no-ops,
 *                                                 │ apply to the map, split into crumbs
 *                                                 ▼
 *   crumb 41 ──▶ crumb 42 ──▶ crumb 43 (latest) ◀── new joiners snapshot here
 *      ▲             ▲                              (materialised lazily, see below)
 *   slow client   client                      followers `await crumb.next(signal)`
 * ```
 * Each crumb carries a sequence number (contiguous, per process **epoch**), its publication time,
 * the encoded deltas since the previous crumb and the status after them. Status changes (overall
 * SyncStatus and per-remote states from RemoteClusterStatus KVs) are applied to the **last** crumb
 * of a flushed batch only, so a client is never told "in sync" before it has the data.
 *
 * # Implementation
 * - Batch window: after a publish, further input waits until `batchWindowMs` has passed and is
 *   then published as one batch, so a stream of single watch events becomes at most one crumb
 *   (one frame per client) per window instead of one per event; input after a quiet window is
 *   published on the next tick, so isolated changes wait no longer than before.
 * - Each update is encoded **once** (`KvEncoder`, syncproto's `encodeKv`) on entry and copied
 *   into a shared slab (`kv-slabs.ts`: ~60 B of bookkeeping per KV instead of a Buffer of its own,
 *   which costs ~800 B more); the master map, the crumbs and every client frame share those
 *   bytes. Slabs left sparse by churn are compacted (live KVs moved in place) as input arrives.
 * - An update whose encoded value equals the stored one (revision ignored) is dropped and counted
 *   as skipped. Deletions are never dropped, even for unknown keys.
 * - Snapshots are copy-on-demand rather than persistent: there is one mutable master `Map`; the
 *   cache mutates it only inside `flush()`, which runs to completion in one tick, so between ticks
 *   the map is exactly the state at the latest crumb. `snapshot()` copies the map's values into an
 *   array (O(n) pointer copy, ~8 bytes per KV, no re-encoding) the first time a joiner asks for the
 *   latest crumb, and memoises it on that crumb; later joiners of the same crumb share it. Older
 *   crumbs never need a snapshot: a joiner always starts at the latest crumb, and resuming clients
 *   only need deltas.
 * - Retention for resume: crumbs are kept in a window bounded by total delta bytes and by age
 *   (`retainBytes`, `retainMs`; crumb-window.ts); `crumbAt(seq)` answers from that window only.
 *   Crumbs outside it are freed as soon as no follower refers to them.
 *
 * # Why not …
 * - A persistent (HAMT/B-tree) map per crumb, as Typha's `btree.Clone()`: it would give a snapshot
 *   at *any* crumb, which nobody needs (joiners start at the latest), at the cost of a slower map
 *   and more garbage per update. The array copy happens at most once per crumb that has joiners.
 * - Per-client queues or channels: the cache would have to push to (and buffer for) each client,
 *   and a slow client would either block the cache or need its own unbounded buffer.
 */
import { randomBytes } from 'node:crypto'
import type { Logger, MeshError } from '@cattail/common'
import { parseKey, type KVUpdate, type SyncStatus } from '@cattail/model'
import type { SyncerCallbacks } from '@cattail/datastore'
import type { CacheMetrics } from '../metrics/cache-metrics.js'
import { CrumbWindow } from './crumb-window.js'
import { Breadcrumb } from './breadcrumb.js'
import { wouldBeNoOp, type CachedKv, type KvEncoder, type RemoteState } from './cached-kv.js'
import { KvSlabs, type SlabKv } from './kv-slabs.js'
import {
  CACHE_KINDS,
  type CacheSnapshot,
  type SnapshotCacheConfig,
  type SnapshotCacheOptions,
} from './snapshot-cache-config.js'

export {
  CACHE_KINDS,
  DEFAULT_SNAPSHOT_CACHE_CONFIG,
  type CacheSnapshot,
  type SnapshotCacheConfig,
  type SnapshotCacheOptions,
} from './snapshot-cache-config.js'

/** The breadcrumb cache; feed it as the syncer's callbacks. */
export class SnapshotCache implements SyncerCallbacks {
  /** Random per process start; a client's resume seq is only valid within the same epoch. */
  readonly epoch: string

  readonly #log: Logger
  readonly #metrics: CacheMetrics | undefined
  /** VTEP MAC conflicts listed in each remote's status KV (for the gauge). */
  readonly #macConflicts = new Map<string, number>()
  readonly #nowMs: () => number
  /** Current state: key → encoding of the latest value. Invariant: equals `#latest`'s state between ticks. */
  readonly #kvs = new Map<string, SlabKv>()
  /** Where the blobs of `#kvs` and of the crumbs' deltas live (kv-slabs.ts). */
  readonly #slabs = new KvSlabs()
  /** The crumbs a client may resume from (crumb-window.ts). */
  readonly #window: CrumbWindow
  #latest: Breadcrumb
  #snapshot: CacheSnapshot | undefined
  #pending: KVUpdate[] = []
  #pendingStatus: SyncStatus
  #flushScheduled = false
  #flushTimer: NodeJS.Timeout | NodeJS.Immediate | undefined
  /** When the last crumb was published (cache clock), for the batch window. */
  #lastPublishMs = -Infinity
  #localNodes = 0
  #stopped = false
  readonly #statusListeners = new Set<(s: SyncStatus) => void>()

  constructor(
    private readonly cfg: SnapshotCacheConfig,
    private readonly encode: KvEncoder,
    log: Logger,
    opts: SnapshotCacheOptions = {}
  ) {
    this.#log = log.child({ component: 'snapcache' })
    this.#metrics = opts.metrics
    this.#nowMs = opts.nowMs ?? Date.now
    this.epoch = opts.epoch ?? randomBytes(8).toString('hex')
    this.#pendingStatus = 'wait-for-ready'
    this.#latest = new Breadcrumb({
      seq: 1,
      timestampMs: this.#nowMs(),
      deltas: [],
      status: 'wait-for-ready',
      remotes: new Map(),
      kvCount: 0,
    })
    this.#window = new CrumbWindow(cfg, this.#latest)
    this.#metrics?.breadcrumbSeq.set(1)
  }

  // ---- SyncerCallbacks ----

  /** Queues a batch; it is applied (and published) on the next turn of the event loop. */
  onUpdates(updates: readonly KVUpdate[]): void {
    if (this.#stopped) return
    for (const u of updates) this.#pending.push(u)
    this.#schedule()
  }

  /** Queues a status change; it is published with the last crumb of the next flush. */
  onStatus(status: SyncStatus): void {
    if (this.#stopped) return
    this.#pendingStatus = status
    this.#schedule()
  }

  /**
   * Logs a syncer failure (the syncer retries by itself) and counts rejected objects. A rejected
   * object was already logged once per key by its driver, so it is only counted here.
   */
  onFailure(err: MeshError): void {
    if (err.code === 'ERR_REMOTE_REJECTED') {
      const { remote, reason } = err as MeshError & { remote?: unknown; reason?: unknown }
      this.#metrics?.remoteRejectedObjects.inc({
        remote_cluster_name: typeof remote === 'string' ? remote : 'unknown',
        reason: typeof reason === 'string' ? reason : 'unknown',
      })
      return // logged once per key by the remote
    }
    if (err.code === 'ERR_BAD_OBJECT') {
      const { kind, reason } = err as MeshError & { kind?: unknown; reason?: unknown }
      this.#metrics?.datastoreRejectedObjects.inc({
        kind: typeof kind === 'string' ? kind : 'unknown',
        reason: typeof reason === 'string' ? reason : 'invalid',
      })
      this.#log.debug({ err, code: err.code }, 'syncer rejected an object')
      return
    }
    this.#log.warn({ err, code: err.code }, 'syncer reported a failure')
  }

  // ---- Reading ----

  /** The newest crumb. */
  get latest(): Breadcrumb {
    return this.#latest
  }

  /** The published overall status (that of the newest crumb). */
  get status(): SyncStatus {
    return this.#latest.status
  }

  /** KVs in the cache. */
  get size(): number {
    return this.#kvs.size
  }

  /** Local Node keys in the cache (the agent count used for connection limits). */
  get localNodeCount(): number {
    return this.#localNodes
  }

  /** Per-remote states, as published with the newest crumb. */
  get remotes(): ReadonlyMap<string, RemoteState> {
    return this.#latest.remotes
  }

  /** Sequence number of the oldest crumb still retained for resume. */
  get oldestRetainedSeq(): number {
    return this.#window.oldestSeq
  }

  /** Number of retained crumbs and their delta bytes. */
  get retention(): { readonly crumbs: number; readonly bytes: number } {
    return { crumbs: this.#window.crumbs, bytes: this.#window.bytes }
  }

  /** The current value encoding of `key` (tests, debugging). */
  get(key: string): CachedKv | undefined {
    return this.#kvs.get(key)
  }

  /**
   * The state at the newest crumb. The entries array is built once per crumb (pointer copy) and
   * shared by every caller until the next crumb is published.
   */
  snapshot(): CacheSnapshot {
    const latest = this.#latest
    if (this.#snapshot?.crumb !== latest) {
      this.#snapshot = { crumb: latest, entries: Array.from(this.#kvs.values()) }
    }
    return this.#snapshot
  }

  /**
   * The retained crumb with sequence `seq` (a resuming client has applied it and wants what
   * follows), or undefined when it left the resume window (by bytes or age) or never existed.
   */
  crumbAt(seq: number): Breadcrumb | undefined {
    return this.#window.at(seq, this.#latest)
  }

  /** Calls `fn` whenever the published status changes. Returns an unsubscribe function. */
  onStatusChange(fn: (s: SyncStatus) => void): () => void {
    this.#statusListeners.add(fn)
    return () => this.#statusListeners.delete(fn)
  }

  /** Applies pending input now (normally done on the next tick). */
  flush(): void {
    this.#flushScheduled = false
    this.#clearFlushTimer()
    if (this.#stopped) return
    const pending = this.#pending
    this.#pending = []
    const deltas: CachedKv[] = []
    let skipped = 0
    let filtered = 0
    const remotes = new Map(this.#latest.remotes)
    for (const u of pending) {
      const parsed = parseKey(u.key)
      if (parsed === undefined || !CACHE_KINDS.has(parsed.kind)) {
        filtered++
        continue
      }
      // The default encoder's transient variant skips a Buffer per KV; interned (copied) below
      // before the next encode, as it requires.
      const encoded = this.encode(u) // copied into a slab below, before the next encode
      const prev = this.#kvs.get(u.key)
      if (wouldBeNoOp(prev, encoded)) {
        skipped++
        continue
      }
      const kv = this.#slabs.intern(encoded)
      if (prev !== undefined) this.#slabs.release(prev)
      if (kv.deleted) this.#kvs.delete(u.key)
      else {
        this.#kvs.set(u.key, kv)
        this.#slabs.retain(kv)
      }
      if (parsed.kind === 'Node' && parsed.cluster === undefined) {
        this.#localNodes += (kv.deleted ? 0 : 1) - (prev === undefined || prev.deleted ? 0 : 1)
      }
      if (parsed.kind === 'RemoteClusterStatus' && parsed.cluster === undefined) {
        const v = u.value
        if (v?.kind === 'RemoteClusterStatus') {
          remotes.set(parsed.name, {
            status: v.spec.status,
            ...(v.spec.error !== undefined && { error: v.spec.error }),
          })
          this.#macConflicts.set(parsed.name, v.spec.vtepMacConflicts?.length ?? 0)
        } else {
          remotes.delete(parsed.name)
          this.#macConflicts.delete(parsed.name)
        }
        let conflicts = 0
        for (const n of this.#macConflicts.values()) conflicts += n
        this.#metrics?.vtepMacConflicts.set(conflicts)
      }
      deltas.push(kv)
    }
    this.#metrics?.updatesReceived.inc(pending.length)
    if (skipped > 0) this.#metrics?.updatesSkipped.inc(skipped)
    if (filtered > 0)
      this.#log.warn({ count: filtered }, 'dropped updates of kinds the cache does not serve')

    if (this.#slabs.sweepDue) this.#slabs.sweep(this.#kvs.values())

    const statusChanged = this.#pendingStatus !== this.#latest.status
    const remotesChanged = !sameRemotes(remotes, this.#latest.remotes)
    if (deltas.length === 0 && !statusChanged && !remotesChanged) return

    const before = this.#latest
    this.#lastPublishMs = this.#nowMs()
    const size = this.cfg.maxBatchSize
    const chunks = Math.max(1, Math.ceil(deltas.length / size))
    for (let i = 0; i < chunks; i++) {
      const last = i === chunks - 1
      const crumb = new Breadcrumb({
        seq: this.#latest.seq + 1,
        timestampMs: this.#nowMs(),
        deltas: deltas.slice(i * size, (i + 1) * size),
        status: last ? this.#pendingStatus : before.status,
        remotes: last && remotesChanged ? remotes : before.remotes,
        // The map already holds the whole batch; intermediate counts are approximate by design.
        kvCount: this.#kvs.size,
      })
      this.#latest.link(crumb)
      this.#latest = crumb
      this.#window.push(crumb)
    }
    this.#window.trim(this.#latest)
    this.#metrics?.retainedCrumbs.set(this.#window.crumbs)
    this.#metrics?.retainedBytes.set(this.#window.bytes)
    const latest = this.#latest
    if (this.#log.isLevelEnabled('debug')) {
      this.#log.debug({ seq: latest.seq, deltas: deltas.length, skipped }, 'published breadcrumbs')
    }
    this.#metrics?.breadcrumbSeq.set(latest.seq)
    this.#metrics?.cacheSize.set(this.#kvs.size)
    if (remotesChanged) this.#publishRemotes(before.remotes, remotes)
    if (statusChanged) {
      this.#log.info({ status: latest.status, seq: latest.seq }, 'cache status changed')
      for (const fn of this.#statusListeners) fn(latest.status)
    }
  }

  /** Stops accepting input; followers keep what they have. Idempotent. */
  stop(): void {
    this.#stopped = true
    this.#pending = []
    this.#clearFlushTimer()
  }

  /** Next tick, or the end of the batch window when the last publish was within it. */
  #schedule(): void {
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    const run = (): void => {
      this.#flushTimer = undefined
      try {
        this.flush()
      } catch (err) {
        // A bug, not bad input (bad input is filtered above): fail loudly, keep the loop alive.
        this.#log.error({ err }, 'snapshot cache flush failed')
      }
    }
    const windowMs = this.cfg.batchWindowMs
    const waitMs = windowMs - (this.#nowMs() - this.#lastPublishMs)
    // waitMs > windowMs only if the clock stepped back: do not wait longer than one window.
    this.#flushTimer = waitMs > 0 ? setTimeout(run, Math.min(waitMs, windowMs)) : setImmediate(run)
  }

  #clearFlushTimer(): void {
    const t = this.#flushTimer
    if (t === undefined) return
    this.#flushTimer = undefined
    if ('hasRef' in t && 'refresh' in t) clearTimeout(t)
    else clearImmediate(t)
  }

  #publishRemotes(
    before: ReadonlyMap<string, RemoteState>,
    after: ReadonlyMap<string, RemoteState>
  ): void {
    for (const [name, { status: state }] of after) {
      if (before.get(name)?.status === state) continue
      this.#metrics?.setRemoteClusterState(name, state)
      // `Sending in-sync update for RemoteClusterConfiguration(<name>)` is logged once, by the
      // remote itself (datastore remote-cluster.ts); this line only records the publication.
      this.#log.info({ remote: name, state }, 'remote cluster status changed')
    }
    for (const name of before.keys()) {
      if (after.has(name)) continue
      this.#metrics?.setRemoteClusterState(name, undefined)
      this.#log.info({ remote: name }, 'remote cluster status removed')
    }
  }
}

function sameRemotes(
  a: ReadonlyMap<string, RemoteState>,
  b: ReadonlyMap<string, RemoteState>
): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) {
    const w = b.get(k)
    if (w?.status !== v.status || w.error !== v.error) return false
  }
  return true
}

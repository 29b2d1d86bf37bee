/**
 * The etcdv3 driver: lists, then watches, Calico's etcd layout (see ./layout.ts) with `etcd3`.
 *
 * Overview
 *   wait-for-ready ─start─▶ resync-in-progress ─list ok─▶ in-sync
 *        ▲                      │  ▲                        │ watch canceled (compacted)
 *        │                      │  └──── relist, status unchanged ◀┘
 *        │         connection lost: onFailure, resync-in-progress, backoff, relist
 *
 * Implementation
 *   - One list per watched prefix (one per kind, in pages of `listPageSize` keys), all read at
 *     the revision of the first page, so the listing is one consistent snapshot; then one watcher per prefix from revision + 1, all on
 *     the client's single gRPC watch stream.
 *   - A relist goes through `EmittedState.resync`, which emits only the differences (including
 *     deletions for keys that vanished while we were away); a watch event whose content did not
 *     change (same value written again) is dropped the same way.
 *   - Connection loss (`disconnected` on a watcher, or a failed list) cancels our watchers and
 *     restarts the loop under our own Backoff; etcd3's internal retries, circuit breaker and
 *     automatic watch resumption are switched off or bypassed so recovery is ours and prompt.
 *   - A watcher `error` is a cancel; on etcd 3.4 a compacted start revision only says
 *     "Watcher canceled" with an empty reason (deps.md §3), so every cancel means "relist".
 *   - A bad value (invalid JSON, failed validation, or a conversion that throws) is reported with
 *     a BadObjectError naming the etcd key, logged once per key, and treated as absent; the rest
 *     of the page and the watch go on (../rejects.ts).
 *
 * Why not etcd3's own watch resumption: it hides outages (no status change, no failure) and
 * replays from its last revision, which fails after a compaction anyway.
 */
import {
  AlreadyStartedError,
  Backoff,
  DEFAULT_BACKOFF_CONFIG,
  sleep,
  type BackoffConfig,
  type Logger,
  type MeshError,
} from '@cattail/common'
import type { KVUpdate, Resource, ResourceKind, SyncStatus } from '@cattail/model'
import { Range, type Etcd3, type IWatchResponse, type Watcher } from 'etcd3'
import { EmittedState } from '../dedupe.js'
import { DatastoreConnectionError } from '../errors.js'
import { RejectedObjects, guardConversion, tombstoneFor } from '../rejects.js'
import type { DatastoreConfig, Syncer, SyncerCallbacks, SyncerOptions } from '../syncer.js'
import { createEtcdClient, DEFAULT_ETCD_CLIENT_TUNING, type EtcdClientTuning } from './client.js'
import { etcdPrefixFor, modelKeyOfEtcdKey, parseEtcdKv, type EtcdParse } from './layout.js'

/** Tuning of the etcd driver (the DatastoreConfig carries only connection settings). */
export interface EtcdSyncerTuning extends EtcdClientTuning {
  /** Reconnect backoff. @default DEFAULT_BACKOFF_CONFIG (200 ms doubling to 10 s) */
  readonly backoff: BackoffConfig
  /** Longest wait for watchers to cancel on stop(). @default 2000 */
  readonly stopTimeoutMs: number
  /** Keys per list request. @default 500 */
  readonly listPageSize: number
  /**
   * Test hook: runs after each list and before its watch starts (tests compact here to drive
   * the "watch from a compacted revision" path deterministically). @default undefined
   */
  readonly afterList?: (revision: string) => Promise<void>
}

/** Defaults for {@link EtcdSyncerTuning}. */
export const DEFAULT_ETCD_SYNCER_TUNING: EtcdSyncerTuning = {
  ...DEFAULT_ETCD_CLIENT_TUNING,
  backoff: DEFAULT_BACKOFF_CONFIG,
  stopTimeoutMs: 2000,
  listPageSize: 500,
}

interface Watched {
  readonly kind: ResourceKind
  readonly prefix: string
}

type WatchEnd = 'stopped' | 'canceled'

/** The etcdv3 driver. Create with `createSyncer`; see the file comment for behaviour. */
export class EtcdSyncer implements Syncer {
  readonly #log: Logger
  readonly #state = new EmittedState()
  readonly #watched: readonly Watched[]
  readonly #rejects: RejectedObjects
  #status: SyncStatus = 'wait-for-ready'
  #abort: AbortController | undefined
  #loop: Promise<void> | undefined
  #client: Etcd3 | undefined
  #watchers: Watcher[] = []
  #stopped = false

  constructor(
    private readonly cfg: Extract<DatastoreConfig, { type: 'etcdv3' }>,
    opts: SyncerOptions,
    private readonly callbacks: SyncerCallbacks,
    private readonly tuning: EtcdSyncerTuning = DEFAULT_ETCD_SYNCER_TUNING
  ) {
    this.#log = opts.log.child({ component: 'etcd-syncer' })
    this.#rejects = new RejectedObjects(this.#log, (err) => this.#report(err))
    const watched: Watched[] = []
    for (const kind of opts.kinds) {
      const ns = kind === 'Secret' ? opts.secretsNamespace : undefined
      const prefix = etcdPrefixFor(kind, ns)
      if (prefix !== undefined) watched.push({ kind, prefix })
    }
    this.#watched = watched
  }

  /** Current status. */
  get status(): SyncStatus {
    return this.#status
  }

  /** Starts listing and watching in the background; resolves at once. */
  start(signal?: AbortSignal): Promise<void> {
    if (this.#abort !== undefined) return Promise.reject(new AlreadyStartedError('etcd syncer'))
    const abort = new AbortController()
    this.#abort = abort
    signal?.addEventListener('abort', () => abort.abort(), { once: true })
    this.#client = createEtcdClient(this.cfg, this.tuning)
    this.#log.info(
      { endpoints: this.cfg.endpoints, kinds: this.#watched.map((w) => w.kind) },
      'etcd syncer starting'
    )
    this.#loop = this.#run(abort.signal).catch((err: unknown) => {
      this.#log.fatal({ err }, 'etcd syncer loop crashed')
      this.#report(new DatastoreConnectionError('etcdv3', 'sync loop', err))
    })
    return Promise.resolve()
  }

  /** Stops watching and closes the client. Idempotent; no callback runs after it resolves. */
  async stop(): Promise<void> {
    if (this.#abort === undefined || this.#stopped) return
    this.#stopped = true
    this.#abort.abort()
    await this.#cancelWatchers()
    // Closing the client fails any request still in flight at once (instead of at its deadline).
    this.#client?.close()
    await this.#loop
    this.#log.info('etcd syncer stopped')
  }

  #setStatus(status: SyncStatus): void {
    if (status === this.#status || this.#stopped) return
    this.#status = status
    this.#log.info({ status }, 'etcd syncer status')
    this.callbacks.onStatus(status)
  }

  #report(err: MeshError): void {
    if (this.#stopped) return
    this.callbacks.onFailure(err)
  }

  #emit(updates: readonly KVUpdate[]): void {
    if (updates.length === 0 || this.#stopped) return
    this.callbacks.onUpdates(updates)
  }

  async #run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.tuning.backoff)
    let cancelsInARow = 0
    this.#setStatus('resync-in-progress')
    while (!signal.aborted) {
      let what = 'list'
      try {
        const revision = await this.#listAll()
        if (signal.aborted) return
        this.#setStatus('in-sync')
        await this.tuning.afterList?.(revision)
        what = 'watch'
        const end = await this.#watchAll(revision, signal)
        if (end === 'stopped') return
        // Canceled: history compacted past our revision (or etcd dropped the watch). Relist;
        // the data is still being served, so the status stays in-sync.
        cancelsInARow++
        this.#log.warn({ revision, cancelsInARow }, 'etcd watch canceled; relisting')
        if (cancelsInARow > 1) {
          this.#report(
            new DatastoreConnectionError(
              'etcdv3',
              'watch',
              new Error('watch canceled again after a relist')
            )
          )
          if (!(await sleep(backoff.next(), signal))) return
        }
      } catch (err) {
        if (signal.aborted) return
        cancelsInARow = 0
        this.#log.error({ err, what }, 'etcd connection failed; will resync')
        this.#report(new DatastoreConnectionError('etcdv3', what, err))
        this.#setStatus('resync-in-progress')
        if (!(await sleep(backoff.next(), signal))) return
        continue
      }
      backoff.reset()
    }
  }

  /** Lists every watched prefix at one revision and emits the differences; returns the revision. */
  async #listAll(): Promise<string> {
    const client = this.#client as Etcd3
    const listing = new Map<string, Resource>()
    const seen = new Set<string>()
    let revision: string | undefined
    if (this.#watched.length === 0) {
      const res = await client.getAll().prefix('/calico/').limit(1).exec()
      return res.header.revision
    }
    for (const { kind, prefix } of this.#watched) {
      // Pages of `listPageSize` keys (a single range of 10k endpoints would exceed gRPC's
      // message limit), all at the revision of the first page.
      const end = Range.prefix(prefix).end
      let start = Buffer.from(prefix)
      for (;;) {
        const q = client.getAll().inRange(new Range(start, end)).limit(this.tuning.listPageSize)
        if (revision !== undefined) q.revision(revision)
        const res = await q.exec()
        revision ??= res.header.revision
        for (const kv of res.kvs) {
          const etcdKey = kv.key.toString()
          seen.add(etcdKey)
          const p = this.#parse(kind, etcdKey, kv.value.toString(), kv.mod_revision)
          if (p !== undefined) listing.set(p.key, p.resource)
        }
        const last = res.kvs[res.kvs.length - 1]
        if (!res.more || last === undefined) break
        start = Buffer.concat([last.key, Buffer.from([0])])
      }
    }
    const rev = revision ?? '0'
    this.#rejects.retain(seen)
    const updates = this.#state.resync(listing, rev)
    this.#log.debug(
      { revision: rev, keys: listing.size, changes: updates.length },
      'etcd list done'
    )
    this.#emit(updates)
    return rev
  }

  /**
   * Parses one etcd value behind the per-object guard: a valid object, or undefined after
   * reporting it (keys outside the layout are ignored quietly).
   */
  #parse(
    kind: ResourceKind,
    etcdKey: string,
    value: string,
    rev: string
  ): Extract<EtcdParse, { ok: true }> | undefined {
    const g = guardConversion(() => parseEtcdKv(kind, etcdKey, value, rev))
    if (!g.ok) {
      this.#rejects.reject(etcdKey, kind, 'exception', g.detail, g.cause)
      return undefined
    }
    const p = g.value
    if (p.ok) {
      this.#rejects.accept(etcdKey)
      return p
    }
    if (p.key === undefined) {
      this.#log.debug({ etcdKey }, 'ignoring etcd key outside the layout')
      return undefined
    }
    const err = p.error
    this.#rejects.reject(
      etcdKey,
      kind,
      'invalid',
      typeof err === 'string' ? err : err.message,
      typeof err === 'string' ? undefined : err
    )
    return undefined
  }

  /** Watches every prefix from `revision + 1` until canceled, disconnected (throws) or stopped. */
  #watchAll(revision: string, signal: AbortSignal): Promise<WatchEnd> {
    const client = this.#client as Etcd3
    const start = String(BigInt(revision) + 1n)
    return new Promise<WatchEnd>((resolve, reject) => {
      let done = false
      const finish = (settle: () => void): void => {
        if (done) return
        done = true
        signal.removeEventListener('abort', onAbort)
        this.#cancelWatchers().then(settle, (err: unknown) => {
          this.#log.warn({ err }, 'etcd watcher cancel failed')
          settle()
        })
      }
      const onAbort = (): void => finish(() => resolve('stopped'))
      signal.addEventListener('abort', onAbort, { once: true })
      for (const { kind, prefix } of this.#watched) {
        const w = client.watch().prefix(prefix).startRevision(start).watcher()
        w.on('data', (res: IWatchResponse) => {
          if (!done) this.#onWatchData(kind, res)
        })
        w.on('disconnected', (err: Error) => finish(() => reject(err)))
        w.on('error', (err: Error) => {
          this.#log.debug({ err, prefix }, 'etcd watcher canceled')
          finish(() => resolve('canceled'))
        })
        this.#watchers.push(w)
      }
      if (this.#watched.length === 0) return // nothing to watch: wait for stop
    })
  }

  #onWatchData(kind: ResourceKind, res: IWatchResponse): void {
    const batch: KVUpdate[] = []
    for (const ev of res.events) {
      const etcdKey = ev.kv.key.toString()
      const rev = ev.kv.mod_revision
      let u: KVUpdate | undefined
      if (ev.type === 'Delete') {
        const wasBad = this.#rejects.accept(etcdKey)
        const key = modelKeyOfEtcdKey(kind, etcdKey)
        if (key !== undefined) u = this.#state.apply(key, undefined, rev)
        // A rejected RCC that is deleted: tell consumers, so its ConfigIncomplete status goes.
        if (u === undefined && wasBad && key !== undefined)
          u = tombstoneFor(kind, key.slice(kind.length + 1), rev)
      } else {
        const p = this.#parse(kind, etcdKey, ev.kv.value.toString(), rev)
        if (p !== undefined) {
          u = this.#state.apply(p.key, p.resource, rev)
        } else {
          const key = guardConversion(() => modelKeyOfEtcdKey(kind, etcdKey))
          if (key.ok && key.value !== undefined) u = this.#state.apply(key.value, undefined, rev)
        }
      }
      if (u !== undefined) batch.push(u)
    }
    this.#emit(batch)
  }

  async #cancelWatchers(): Promise<void> {
    const ws = this.#watchers
    this.#watchers = []
    if (ws.length === 0) return
    for (const w of ws) w.removeAllListeners('data')
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.tuning.stopTimeoutMs)
    })
    await Promise.race([Promise.all(ws.map((w) => w.cancel())), timeout])
    clearTimeout(timer)
    for (const w of ws) {
      w.removeAllListeners()
      // etcd3 may still emit a late cancel as 'error'; an EventEmitter without an 'error'
      // listener would throw it at the process.
      w.on('error', (err: Error) => this.#log.debug({ err }, 'late etcd watcher error ignored'))
    }
  }
}

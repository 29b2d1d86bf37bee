/**
 * One published step of the snapshot cache: the deltas since the previous crumb, the status after
 * them, and a forward link to the next crumb (see `snapshot-cache.ts` for the design).
 */
import { AbortedError } from '@cattail/common'
import type { SyncStatus } from '@cattail/model'
import type { CachedKv, RemoteState } from './cached-kv.js'

/** Fields fixed when a crumb is published. */
export interface BreadcrumbInit {
  readonly seq: number
  readonly timestampMs: number
  readonly deltas: readonly CachedKv[]
  readonly status: SyncStatus
  readonly remotes: ReadonlyMap<string, RemoteState>
  readonly kvCount: number
}

/**
 * An immutable step in the forward-linked list of crumbs. Followers hold a reference to the crumb
 * they have sent and `await crumb.next(signal)`; nothing else refers to a follower, so a slow
 * follower holds memory (the crumbs after its own) but never blocks the cache or other followers.
 */
export class Breadcrumb {
  /** Sequence number: +1 per crumb, contiguous, starting at 1 for each epoch. */
  readonly seq: number
  /** Publication time (ms since the Unix epoch); lag = newest.timestampMs − mine.timestampMs. */
  readonly timestampMs: number
  /** Updates since the previous crumb, in order; each encoded once. Deletions included. */
  readonly deltas: readonly CachedKv[]
  /** Sum of the deltas' encoded sizes, in bytes. */
  readonly deltaBytes: number
  /** Overall sync status after this crumb (changes only on the last crumb of a batch). */
  readonly status: SyncStatus
  /** Per-remote states after this crumb (from RemoteClusterStatus KVs; last crumb of a batch). */
  readonly remotes: ReadonlyMap<string, RemoteState>
  /** Number of KVs in the cache after this crumb. */
  readonly kvCount: number

  #next: Breadcrumb | undefined
  #wake: { promise: Promise<Breadcrumb>; resolve: (b: Breadcrumb) => void } | undefined

  constructor(init: BreadcrumbInit) {
    this.seq = init.seq
    this.timestampMs = init.timestampMs
    this.deltas = init.deltas
    this.deltaBytes = init.deltas.reduce((n, d) => n + d.blob.byteLength, 0)
    this.status = init.status
    this.remotes = init.remotes
    this.kvCount = init.kvCount
  }

  /** The next crumb if it is already published (never blocks). */
  get nextIfReady(): Breadcrumb | undefined {
    return this.#next
  }

  /**
   * Resolves with the next crumb once it is published. All waiters of one crumb share one promise.
   * Rejects with AbortedError when `signal` aborts (and removes its listener either way).
   */
  next(signal?: AbortSignal): Promise<Breadcrumb> {
    if (this.#next !== undefined) return Promise.resolve(this.#next)
    if (signal?.aborted === true) return Promise.reject(new AbortedError('breadcrumb wait'))
    if (this.#wake === undefined) {
      let resolve!: (b: Breadcrumb) => void
      const promise = new Promise<Breadcrumb>((r) => (resolve = r))
      this.#wake = { promise, resolve }
    }
    const shared = this.#wake.promise
    if (signal === undefined) return shared
    return new Promise<Breadcrumb>((resolve, reject) => {
      const onAbort = (): void => reject(new AbortedError('breadcrumb wait'))
      signal.addEventListener('abort', onAbort, { once: true })
      void shared.then((b) => {
        signal.removeEventListener('abort', onAbort)
        resolve(b)
      })
    })
  }

  /** Links the successor; called once by the cache. */
  link(next: Breadcrumb): void {
    if (this.#next !== undefined) throw new Error(`breadcrumb ${this.seq} already linked`)
    this.#next = next
    this.#wake?.resolve(next)
    this.#wake = undefined
  }
}

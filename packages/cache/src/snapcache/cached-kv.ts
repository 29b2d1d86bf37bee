/**
 * A KV as the cache holds it: encoded once when it enters the cache, then shared (the same bytes)
 * by the snapshot map, every breadcrumb that carries it and every client frame.
 */
import type { KVUpdate, RemoteClusterState } from '@cattail/model'

/** One encoded KV update (a value or a deletion). */
export interface CachedKv {
  /** Canonical key string. */
  readonly key: string
  /** The wire encoding of the whole update (key, value, revision); sent as-is to every client. */
  readonly blob: Uint8Array
  /** True for a deletion. */
  readonly deleted: boolean
  /**
   * Encoded value without the revision, used to drop no-op updates (a new revision with the same
   * value). Undefined for deletions.
   */
  readonly valueBytes: Uint8Array | undefined
}

/**
 * Encodes an update once; the cache calls it exactly once per received update and copies the
 * blob into a slab before the next call, so the blob may be a transient view
 * (`encodeCachedKvTransient`, what the daemon uses) or a Buffer of its own (`encodeCachedKv`).
 */
export type KvEncoder = (update: KVUpdate) => CachedKv

/** True when `next` would change nothing for a client that holds `prev` (revision ignored). */
export function wouldBeNoOp(prev: CachedKv | undefined, next: CachedKv): boolean {
  if (prev === undefined || next.deleted || prev.deleted) return false // deletions always pass
  const a = prev.valueBytes
  const b = next.valueBytes
  return a !== undefined && b !== undefined && Buffer.compare(a, b) === 0
}

/** State of one remote cluster, taken from its RemoteClusterStatus KV. */
export interface RemoteState {
  readonly status: RemoteClusterState
  /** Reason for ConnectionFailed/ConfigIncomplete. */
  readonly error?: string
}

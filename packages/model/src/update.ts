/**
 * The unit that flows from datastore drivers through the cache to agents: one key with its new
 * value, or a deletion.
 */
import type { Resource } from './resources.js'

/** One change to one key. `value === undefined` means the key was deleted (or became invalid). */
export interface KVUpdate {
  /** Canonical key string (see `keyToString`). */
  readonly key: string
  readonly value: Resource | undefined
  /** Datastore revision the change came from (opaque; etcd mod revision or k8s resourceVersion). */
  readonly revision: string
}

/** Overall sync status of a syncer, in order of progress (Typha's names). */
export type SyncStatus = 'wait-for-ready' | 'resync-in-progress' | 'in-sync'

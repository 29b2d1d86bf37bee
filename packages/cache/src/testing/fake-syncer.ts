/**
 * A hand-driven Syncer for tests: `start()` reports wait-for-ready, then the test pushes updates
 * and statuses through the callbacks it was created with.
 */
import type { Syncer, SyncerCallbacks } from '@cattail/datastore'
import type { KVUpdate, Resource, SyncStatus } from '@cattail/model'

/** A Syncer whose events the test drives. */
export class FakeSyncer implements Syncer {
  status: SyncStatus = 'wait-for-ready'
  started = false
  stopped = false
  #rev = 0

  constructor(readonly callbacks: SyncerCallbacks) {}

  start(): Promise<void> {
    this.started = true
    this.callbacks.onStatus('wait-for-ready')
    return Promise.resolve()
  }

  stop(): Promise<void> {
    this.stopped = true
    return Promise.resolve()
  }

  /** Sends a batch of updates (revisions are filled in when missing). */
  send(
    updates: ReadonlyArray<{ key: string; value: Resource | undefined; revision?: string }>
  ): void {
    this.callbacks.onUpdates(
      updates.map((u): KVUpdate => ({
        key: u.key,
        value: u.value,
        revision: u.revision ?? String(++this.#rev),
      }))
    )
  }

  /** Reports a status. */
  setStatus(s: SyncStatus): void {
    this.status = s
    this.callbacks.onStatus(s)
  }
}

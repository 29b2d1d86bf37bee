/** PLACEHOLDER: the etcdv3 driver is being written; replace this file. */
import type { SyncStatus } from '@cattail/model'
import type { DatastoreConfig, Syncer, SyncerCallbacks, SyncerOptions } from '../syncer.js'

/** The etcdv3 driver (not yet implemented). */
export class EtcdSyncer implements Syncer {
  readonly status: SyncStatus = 'wait-for-ready'
  constructor(
    readonly cfg: Extract<DatastoreConfig, { type: 'etcdv3' }>,
    readonly opts: SyncerOptions,
    readonly callbacks: SyncerCallbacks
  ) {}
  start(): Promise<void> {
    return Promise.reject(new Error('etcdv3 driver not implemented'))
  }
  stop(): Promise<void> {
    return Promise.resolve()
  }
}

/** PLACEHOLDER: the kubernetes driver is being written; replace this file. */
import type { SyncStatus } from '@cattail/model'
import type { DatastoreConfig, Syncer, SyncerCallbacks, SyncerOptions } from '../syncer.js'

/** The kubernetes driver (not yet implemented). */
export class KubeSyncer implements Syncer {
  readonly status: SyncStatus = 'wait-for-ready'
  constructor(
    readonly cfg: Extract<DatastoreConfig, { type: 'kubernetes' }>,
    readonly opts: SyncerOptions,
    readonly callbacks: SyncerCallbacks
  ) {}
  start(): Promise<void> {
    return Promise.reject(new Error('kubernetes driver not implemented'))
  }
  stop(): Promise<void> {
    return Promise.resolve()
  }
}

/** PLACEHOLDER: the file driver is being written; replace this file. */
import type { SyncStatus } from '@cattail/model'
import type { DatastoreConfig, Syncer, SyncerCallbacks, SyncerOptions } from '../syncer.js'

/** The file driver (not yet implemented). */
export class FileSyncer implements Syncer {
  readonly status: SyncStatus = 'wait-for-ready'
  constructor(
    readonly cfg: Extract<DatastoreConfig, { type: 'file' }>,
    readonly opts: SyncerOptions,
    readonly callbacks: SyncerCallbacks
  ) {}
  start(): Promise<void> {
    return Promise.reject(new Error('file driver not implemented'))
  }
  stop(): Promise<void> {
    return Promise.resolve()
  }
}

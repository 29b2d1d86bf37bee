/**
 * Composition point: picks the driver for a DatastoreConfig. The only place drivers are named.
 */
import type { DatastoreConfig, Syncer, SyncerCallbacks, SyncerOptions } from './syncer.js'
import { assertNever } from '@cattail/common'
import { EtcdSyncer } from './etcd/etcd-syncer.js'
import { FileSyncer } from './file/file-syncer.js'
import { KubeSyncer } from './kubernetes/kube-syncer.js'

/** Creates (but does not start) a syncer for `cfg`. */
export function createSyncer(
  cfg: DatastoreConfig,
  opts: SyncerOptions,
  callbacks: SyncerCallbacks
): Syncer {
  switch (cfg.type) {
    case 'kubernetes':
      return new KubeSyncer(cfg, opts, callbacks)
    case 'etcdv3':
      return new EtcdSyncer(cfg, opts, callbacks)
    case 'file':
      return new FileSyncer(cfg, opts, callbacks)
    default:
      return assertNever(cfg, 'datastore type')
  }
}

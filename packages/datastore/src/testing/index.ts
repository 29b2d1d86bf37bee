/**
 * @module @cattail/datastore/testing: the driver contract suite (`runSyncerContract`) every
 * datastore driver runs, and `SyncerRecorder`, a recording SyncerCallbacks for tests.
 *
 * @example
 * ```ts
 * import { runSyncerContract } from '@cattail/datastore/testing'
 * runSyncerContract('etcdv3 (needs etcd)', async () => makeEtcdHarness())
 * ```
 */
export * from './recorder.js'
export * from './contract.js'
export * from './tcp-proxy.js'
export * from './etcd-harness.js'
export * from './file-harness.js'

/**
 * @module @cattail/syncproto/testing: a scripted sync server ({@link FakeSyncServer}) for tests
 * of sync clients. Test use only.
 */
export * from './fake-sync-server.js'

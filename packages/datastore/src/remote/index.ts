/**
 * Remote clusters: the mesh syncer (local datastore plus one connection per
 * RemoteClusterConfiguration) and the pure helpers it is built from.
 *
 * @example
 * ```ts
 * const mesh = createMeshSyncer(localCfg, { kinds, log, remoteInSyncTimeoutMs: 5000 }, callbacks)
 * await mesh.start()
 * mesh.remoteStatuses() // Map { 'cluster-b' => { status: 'InSync' } }
 * ```
 */
export * from './mesh-syncer.js'
export { type RemoteDesired, type SyncerFactory } from './remote-cluster-deps.js'
export * from './remote-config.js'
export * from './remote-kinds.js'
export * from './remote-status.js'
export * from './remote-guard.js'
export * from './mac-conflicts.js'

/**
 * @module @cattail/federation: the federated services controller (`cattail federation`): a pure
 * calc (`calc/`) over I/O adapters (cluster stores, remote manager, writer, Lease elector).
 */
export * from './calc/index.js'
export * from './config.js'
export * from './command.js'
export * from './controller.js'
export * from './daemon.js'
export * from './leader.js'
export * from './metrics.js'
export { KubeClient, type KubeReply } from './kube/client.js'
export { ClusterStore, type StoreStatus } from './source/cluster-store.js'
export { type RemoteInfo, type RemoteState } from './source/remotes.js'
export { remoteAccess, type RemoteAccess } from './source/remote-access.js'
export { FederationWriter, isOwned } from './writer.js'

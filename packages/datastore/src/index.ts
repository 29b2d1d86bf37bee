/**
 * @module @cattail/datastore: datastore drivers (kubernetes, etcdv3, file) behind one Syncer
 * interface, and the remote-cluster syncer that runs one connection per RemoteClusterConfiguration.
 */
export * from './syncer.js'
export * from './factory.js'
export * from './errors.js'
export { EmittedState, canonicalJson } from './dedupe.js'
export * from './remote/index.js'
export * from './kubernetes/index.js'
export * from './etcd/index.js'
export * from './file/index.js'
export * from './manifest.js'

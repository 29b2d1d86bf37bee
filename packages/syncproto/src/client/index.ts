/** The reference sync client (I/O): SyncClient and its config. */
export * from './config.js'
export * from './sync-client.js'
export * from './sync-state.js'
export * from './address-rotation.js'
export { verifyServerIdentity } from './tls.js'

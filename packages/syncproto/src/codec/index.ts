/**
 * The codec: frames ⇄ messages, KV blobs encoded once, snapshot chunking and compression.
 * Pure apart from CPU work in node:zlib (no I/O, no clock).
 */
export * from './kv.js'
export * from './deltas.js'
export * from './snapshot.js'
export * from './encode.js'
export * from './decode.js'
export * from './limits.js'

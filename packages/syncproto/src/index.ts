/**
 * @module @cattail/syncproto: the wire protocol between `cattail cache` and node agents —
 * messages, handshake negotiation, the msgpack codec with encode-once KV blobs and compressed
 * snapshot chunks, and the reference client (`SyncClient`). See README.md and
 * `src/messages/protocol.ts` for the protocol itself.
 *
 * @example
 * ```ts
 * import { encodeKv, encodeDeltas, decodeFrame } from '@cattail/syncproto'
 * const blob = encodeKv({ key: 'Node/n1', value: node, revision: '42' }) // once, on the server
 * const frame = encodeDeltas({ firstSeq: 7, seq: 7 }, [blob])           // same bytes for all clients
 * const msg = decodeFrame(frame)                                         // { type: 'deltas', … }
 * ```
 */
export * from './errors.js'
export * from './messages/index.js'
export * from './codec/index.js'
export * from './client/index.js'

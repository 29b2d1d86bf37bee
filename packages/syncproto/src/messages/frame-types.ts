/**
 * Frame type bytes: the first byte of every WebSocket message. Numbers are part of the wire
 * format: never renumber; add new types at unused numbers and gate them on a feature (see
 * protocol.ts, "Upgrading the protocol").
 *
 * | byte | message        | dir | payload after the type byte                                  |
 * |------|----------------|-----|--------------------------------------------------------------|
 * | 0x01 | ClientHello    | C→S | msgpack map                                                  |
 * | 0x02 | ServerHello    | S→C | msgpack map                                                  |
 * | 0x03 | SnapshotChunk  | S→C | msgpack map {seq,index,last,count,compression,rawBytes} + KV run (compressed) |
 * | 0x04 | Deltas         | S→C | msgpack map {firstSeq,seq,count} + `count` KV blobs; with feature `deltas-deflate` also {compression,rawBytes} + the blobs raw-deflated |
 * | 0x05 | Status         | S→C | msgpack map {status,remotes}                                 |
 * | 0x06 | Ping           | S→C | msgpack map {timestampMs}                                    |
 * | 0x07 | Pong           | C→S | msgpack map {pingTimestampMs,pongTimestampMs}                |
 * | 0x08 | GoAway         | both| msgpack map {reason,message?,reconnectAfterMs?}              |
 */
import type { Message } from './types.js'

/** Type byte of each message. */
export const FRAME_TYPE = {
  'client-hello': 0x01,
  'server-hello': 0x02,
  'snapshot-chunk': 0x03,
  deltas: 0x04,
  status: 0x05,
  ping: 0x06,
  pong: 0x07,
  'go-away': 0x08,
} as const satisfies Record<Message['type'], number>

/** The message type for each known type byte. */
export const FRAME_TYPE_NAME: ReadonlyMap<number, Message['type']> = new Map(
  Object.entries(FRAME_TYPE).map(([name, code]) => [code, name as Message['type']])
)

/**
 * Typed errors of the sync protocol. Match on `code` across process boundaries (logs, close
 * reasons); `instanceof` only within one process.
 */
import { MeshError } from '@cattail/common'

/**
 * Why a frame or a message sequence was rejected. Stable strings, logged as `reason`.
 * - `empty-frame`: a frame with no type byte.
 * - `bad-payload`: the msgpack payload could not be decoded or has the wrong shape.
 * - `bad-kv`: a KV blob inside a Deltas frame or snapshot chunk is malformed.
 * - `bad-compression`: a snapshot chunk could not be decompressed or its size does not match.
 * - `unexpected-message`: a valid message arrived where the protocol does not allow it.
 * - `seq-gap`: a Deltas frame does not continue from the last sequence number.
 * - `handshake`: the hello exchange failed (incompatible peer, wrong syncer type, …).
 */
export type ProtocolErrorReason =
  | 'empty-frame'
  | 'bad-payload'
  | 'bad-kv'
  | 'bad-compression'
  | 'unexpected-message'
  | 'seq-gap'
  | 'handshake'

/** A frame could not be decoded, or a peer broke the message order. Never crashes a daemon. */
export class ProtocolError extends MeshError {
  readonly code = 'ERR_PROTOCOL'
  constructor(
    readonly reason: ProtocolErrorReason,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

/** A frame (or the decompressed form of a snapshot chunk, or its KV count) is over a limit. */
export class FrameTooLargeError extends MeshError {
  readonly code = 'ERR_FRAME_TOO_LARGE'
  constructor(
    /** What exceeded the limit: frame bytes, decompressed bytes or KV count. */
    readonly what: 'bytes' | 'raw-bytes' | 'items',
    /** The offending size (bytes or items). */
    readonly size: number,
    /** The limit in the same unit. */
    readonly limit: number
  ) {
    super(`frame too large: ${what} ${size} > limit ${limit}`)
  }
}

/** The client gave up on a connection attempt before the server hello arrived. */
export class ConnectTimeoutError extends MeshError {
  readonly code = 'ERR_CONNECT_TIMEOUT'
  constructor(
    readonly address: string,
    readonly timeoutMs: number
  ) {
    super(`no server hello from ${address} within ${timeoutMs} ms`)
  }
}

/** No frame (not even a ping) arrived from the server for `timeoutMs`. */
export class ReadTimeoutError extends MeshError {
  readonly code = 'ERR_READ_TIMEOUT'
  constructor(readonly timeoutMs: number) {
    super(`no frame from the server for ${timeoutMs} ms`)
  }
}

/** The server's certificate does not carry the expected CN or URI SAN. */
export class PeerIdentityError extends MeshError {
  readonly code = 'ERR_PEER_IDENTITY'
  constructor(message: string) {
    super(message)
  }
}

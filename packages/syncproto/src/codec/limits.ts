/** Decode-side limits (bytes and items). */
import {
  DEFAULT_CLIENT_MAX_FRAME_BYTES,
  DEFAULT_MAX_KVS_PER_FRAME,
  DEFAULT_SERVER_MAX_FRAME_BYTES,
} from '../messages/protocol.js'

/** Limits `decodeFrame` enforces. */
export interface DecodeLimits {
  /**
   * Largest frame accepted, in bytes; also bounds the decompressed size of a snapshot chunk.
   * @default 64 MiB (client), 1 MiB (server)
   */
  readonly maxFrameBytes: number
  /** Most KVs accepted in one Deltas frame or snapshot chunk. @default 100000 */
  readonly maxKvsPerFrame: number
}

/** Limits for a client decoding server frames. */
export const DEFAULT_CLIENT_DECODE_LIMITS: DecodeLimits = {
  maxFrameBytes: DEFAULT_CLIENT_MAX_FRAME_BYTES,
  maxKvsPerFrame: DEFAULT_MAX_KVS_PER_FRAME,
}

/** Limits for a server decoding client frames (hellos and pongs are tiny). */
export const DEFAULT_SERVER_DECODE_LIMITS: DecodeLimits = {
  maxFrameBytes: DEFAULT_SERVER_MAX_FRAME_BYTES,
  maxKvsPerFrame: DEFAULT_MAX_KVS_PER_FRAME,
}

/**
 * `decodeFrame`: bytes → typed message, checking sizes before work and shapes after.
 *
 * KVs are decoded **eagerly**: the only consumer (the client) applies every KV at once, and eager
 * decoding lets a malformed blob fail the whole frame before any of it is applied. Servers never
 * decode the KV frames they send (they hold the blobs).
 *
 * Every failure is a `ProtocolError` (malformed) or `FrameTooLargeError` (over a limit); nothing
 * else escapes, whatever the input bytes.
 */
import type { KVUpdate, RemoteClusterState, SyncStatus } from '@cattail/model'
import { inflateRawSync } from 'node:zlib'
import { FrameTooLargeError, ProtocolError } from '../errors.js'
import { FRAME_TYPE_NAME } from '../messages/frame-types.js'
import { SUPPORTED_SNAPSHOT_COMPRESSION } from '../messages/protocol.js'
import type {
  DecodedFrame,
  GoAwayReason,
  RemoteStatusEntry,
  ResumePoint,
  SnapshotCompression,
  StartMode,
} from '../messages/types.js'
import {
  asMap,
  bool,
  num,
  oneOf,
  optStr,
  optUint,
  str,
  strArray,
  uint,
  uintArray,
  type WireMap,
} from './fields.js'
import type { DeltasCompression } from './deltas.js'
import { kvFromWire } from './kv.js'
import { DEFAULT_CLIENT_DECODE_LIMITS, type DecodeLimits } from './limits.js'
import { unpackEach, unpackOne } from './msgpack.js'

const SYNC_STATUSES: readonly SyncStatus[] = ['wait-for-ready', 'resync-in-progress', 'in-sync']
const REMOTE_STATES: readonly RemoteClusterState[] = [
  'Connecting',
  'ConnectionFailed',
  'ResyncInProgress',
  'InSync',
  'ConfigIncomplete',
]
const GO_AWAY_REASONS: readonly GoAwayReason[] = [
  'shedding',
  'shutdown',
  'too-slow',
  'protocol-error',
  'unsupported',
  'resume-unavailable',
  'timeout',
  'other',
]
const START_MODES: readonly StartMode[] = ['resume', 'snapshot']
const DELTAS_COMPRESSION: readonly DeltasCompression[] = ['deflate', 'none']

/**
 * Decodes one frame. Unknown type bytes give `{type: 'unknown'}` (the caller decides: clients
 * ignore, servers close). Throws FrameTooLargeError when `buf`, a chunk's decompressed size or a
 * KV count is over `limits`, and ProtocolError for anything malformed.
 */
export function decodeFrame(
  buf: Uint8Array,
  limits: DecodeLimits = DEFAULT_CLIENT_DECODE_LIMITS
): DecodedFrame {
  if (buf.length > limits.maxFrameBytes) {
    throw new FrameTooLargeError('bytes', buf.length, limits.maxFrameBytes)
  }
  if (buf.length === 0) throw new ProtocolError('empty-frame', 'empty frame')
  const code = buf[0] as number
  const type = FRAME_TYPE_NAME.get(code)
  if (type === undefined) return { type: 'unknown', typeCode: code }
  const body = buf.subarray(1)
  switch (type) {
    case 'snapshot-chunk':
      return decodeSnapshotChunk(body, limits)
    case 'deltas':
      return decodeDeltas(body, limits)
    case 'client-hello': {
      const m = payloadMap(body, type)
      const resume = m.resume === undefined || m.resume === null ? undefined : resumePoint(m.resume)
      return {
        type,
        versions: uintArray(m, 'versions'),
        features: strArray(m, 'features'),
        nodeName: str(m, 'nodeName'),
        syncerType: str(m, 'syncerType'),
        clientVersion: str(m, 'clientVersion'),
        // Unknown compressions from a newer client are dropped, not errors.
        snapshotCompression: strArray(m, 'snapshotCompression').filter(isCompression),
        ...(resume !== undefined && { resume }),
      }
    }
    case 'server-hello': {
      const m = payloadMap(body, type)
      return {
        type,
        version: uint(m, 'version'),
        features: strArray(m, 'features'),
        epoch: str(m, 'epoch'),
        encoding: oneOf(m, 'encoding', ['msgpack'] as const),
        snapshotCompression: oneOf(m, 'snapshotCompression', SUPPORTED_SNAPSHOT_COMPRESSION),
        mode: oneOf(m, 'mode', START_MODES),
        syncerType: str(m, 'syncerType'),
        serverConnId: str(m, 'serverConnId'),
        serverVersion: str(m, 'serverVersion'),
      }
    }
    case 'status': {
      const m = payloadMap(body, type)
      const remotesIn = asMap(m.remotes ?? {}, 'field remotes')
      const remotes: Record<string, RemoteStatusEntry> = {}
      for (const [name, v] of Object.entries(remotesIn)) {
        const r = asMap(v, `remote ${name}`)
        const error = optStr(r, 'error')
        remotes[name] = {
          status: oneOf(r, 'status', REMOTE_STATES),
          ...(error !== undefined && { error }),
        }
      }
      return { type, status: oneOf(m, 'status', SYNC_STATUSES), remotes }
    }
    case 'ping':
      return { type, timestampMs: num(payloadMap(body, type), 'timestampMs') }
    case 'pong': {
      const m = payloadMap(body, type)
      return {
        type,
        pingTimestampMs: num(m, 'pingTimestampMs'),
        pongTimestampMs: num(m, 'pongTimestampMs'),
      }
    }
    case 'go-away': {
      const m = payloadMap(body, type)
      const raw = str(m, 'reason')
      const reason = (GO_AWAY_REASONS as readonly string[]).includes(raw)
        ? (raw as GoAwayReason)
        : 'other'
      const message = optStr(m, 'message')
      const reconnectAfterMs = optUint(m, 'reconnectAfterMs')
      return {
        type,
        reason,
        ...(message !== undefined && { message }),
        ...(reconnectAfterMs !== undefined && { reconnectAfterMs }),
      }
    }
  }
}

const isCompression = (s: string): s is SnapshotCompression =>
  (SUPPORTED_SNAPSHOT_COMPRESSION as readonly string[]).includes(s)

function payloadMap(body: Uint8Array, what: string): WireMap {
  if (body.length === 0) throw new ProtocolError('bad-payload', `${what}: empty payload`)
  return asMap(unpackOne(body, 'bad-payload'), what)
}

function resumePoint(v: unknown): ResumePoint {
  const m = asMap(v, 'field resume')
  return { epoch: str(m, 'epoch'), seq: uint(m, 'seq') }
}

function decodeDeltas(body: Uint8Array, limits: DecodeLimits): DecodedFrame {
  let firstSeq = 0
  let seq = 0
  let count = 0
  let compressed = false
  let rawBytes = 0
  const updates: KVUpdate[] = []
  const headerEnd = unpackEach(body, 'bad-payload', (v, i) => {
    if (i === 0) {
      const m = asMap(v, 'deltas header')
      firstSeq = uint(m, 'firstSeq')
      seq = uint(m, 'seq')
      count = uint(m, 'count')
      if (seq < firstSeq)
        throw new ProtocolError('bad-payload', `deltas seq ${seq} < firstSeq ${firstSeq}`)
      if (count > limits.maxKvsPerFrame) {
        throw new FrameTooLargeError('items', count, limits.maxKvsPerFrame)
      }
      // Feature deltas-deflate: the rest is one raw-deflated KV run (absent = plain blobs).
      if (m.compression !== undefined && m.compression !== null) {
        compressed = oneOf(m, 'compression', DELTAS_COMPRESSION) === 'deflate'
        rawBytes = uint(m, 'rawBytes')
        if (rawBytes > limits.maxFrameBytes) {
          throw new FrameTooLargeError('raw-bytes', rawBytes, limits.maxFrameBytes)
        }
        if (compressed) return false
      }
      return true
    }
    if (i > count) throw new ProtocolError('bad-payload', `deltas: more than ${count} KVs`)
    updates.push(kvFromWire(v, false))
    return true
  })
  if (body.length === 0) throw new ProtocolError('bad-payload', 'deltas: empty payload')
  if (compressed) {
    const raw = inflate(body.subarray(headerEnd), rawBytes, 'deltas')
    if (raw.length !== rawBytes) {
      throw new ProtocolError(
        'bad-compression',
        `deltas: ${raw.length} bytes, header says ${rawBytes}`
      )
    }
    if (raw.length > 0) {
      unpackEach(raw, 'bad-kv', (v) => {
        if (updates.length >= count)
          throw new ProtocolError('bad-payload', `deltas: more than ${count} KVs`)
        updates.push(kvFromWire(v, false))
        return true
      })
    }
  }
  if (updates.length !== count) {
    throw new ProtocolError(
      'bad-payload',
      `deltas: header says ${count} KVs, found ${updates.length}`
    )
  }
  return { type: 'deltas', firstSeq, seq, updates }
}

function decodeSnapshotChunk(body: Uint8Array, limits: DecodeLimits): DecodedFrame {
  if (body.length === 0) throw new ProtocolError('bad-payload', 'snapshot-chunk: empty payload')
  let header: WireMap = {}
  const headerEnd = unpackEach(body, 'bad-payload', (v) => {
    header = asMap(v, 'snapshot-chunk header')
    return false
  })
  const seq = uint(header, 'seq')
  const index = uint(header, 'index')
  const last = bool(header, 'last')
  const count = uint(header, 'count')
  const compression = oneOf(header, 'compression', SUPPORTED_SNAPSHOT_COMPRESSION)
  const rawBytes = uint(header, 'rawBytes')
  if (count > limits.maxKvsPerFrame)
    throw new FrameTooLargeError('items', count, limits.maxKvsPerFrame)
  if (rawBytes > limits.maxFrameBytes) {
    throw new FrameTooLargeError('raw-bytes', rawBytes, limits.maxFrameBytes)
  }
  const data = body.subarray(headerEnd)
  const raw = compression === 'deflate' && data.length > 0 ? inflate(data, rawBytes) : data
  if (raw.length !== rawBytes) {
    throw new ProtocolError(
      'bad-compression',
      `snapshot-chunk: ${raw.length} bytes, header says ${rawBytes}`
    )
  }
  const updates: KVUpdate[] = []
  if (raw.length > 0) {
    unpackEach(raw, 'bad-kv', (v) => {
      if (updates.length >= count)
        throw new ProtocolError('bad-payload', `snapshot-chunk: more than ${count} KVs`)
      updates.push(kvFromWire(v, true))
      return true
    })
  }
  if (updates.length !== count) {
    throw new ProtocolError(
      'bad-payload',
      `snapshot-chunk: header says ${count} KVs, found ${updates.length}`
    )
  }
  return { type: 'snapshot-chunk', seq, index, last, updates }
}

function inflate(data: Uint8Array, rawBytes: number, what = 'snapshot-chunk'): Buffer {
  try {
    // maxOutputLength stops a deflate bomb at the size the header announced.
    return inflateRawSync(data, { maxOutputLength: Math.max(1, rawBytes) })
  } catch (err) {
    throw new ProtocolError('bad-compression', `${what}: cannot inflate`, { cause: err })
  }
}

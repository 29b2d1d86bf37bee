/**
 * The cattail sync protocol: constants and the rules both ends follow.
 *
 * Overview
 * --------
 * `cattail cache` (a Typha-style fan-out daemon) streams the datastore state to node agents over a
 * WebSocket (ws 8, binary frames, `perMessageDeflate: false` on both sides, default port 5473,
 * optional mutual TLS). One WebSocket message is one frame: `[u8 frame type][payload]`. Payloads
 * are msgpack (msgpackr) maps, except that Deltas frames append pre-encoded KV blobs and snapshot
 * chunks append a (usually deflate-raw compressed) run of KV blobs after their header map.
 *
 * ```
 *  agent (SyncClient)                                        cache (sync server)
 *    │ ── WebSocket upgrade (TLS: server cert checked, client cert sent) ──▶ │
 *    │ ── ClientHello {versions, features, nodeName, syncerType,          ──▶ │ negotiate()
 *    │                 snapshotCompression, resume?: {epoch, seq}}            │ (reject ⇒ GoAway
 *    │ ◀── ServerHello {version, features, epoch, mode, compression, connId} ─│  'unsupported')
 *    │                                                                        │
 *    │   mode = 'snapshot'                       mode = 'resume'              │
 *    │ ◀── SnapshotChunk {seq S, index 0} ──     (nothing: deltas continue    │
 *    │ ◀── SnapshotChunk {seq S, index 1} ──      from the client's seq)      │
 *    │ ◀── SnapshotChunk {seq S, last}   ──                                   │
 *    │ ◀── Status {in-sync, remotes} ───────────────────────────────────────── │
 *    │ ◀── Deltas {firstSeq S+1, seq S+3, kvs} ─────────────────────────────── │
 *    │ ◀── Ping {timestampMs} ───────────────────────────────────────────────  │ every pingIntervalMs
 *    │ ── Pong {pingTimestampMs, pongTimestampMs} ────────────────────────────▶│ pong timeout ⇒ close
 *    │ ◀── Deltas / Status / Ping … ─────────────────────────────────────────  │
 *    │ ◀── GoAway {reason, reconnectAfterMs?} then close ──────────────────── │ shedding, shutdown…
 * ```
 *
 * Sequence numbers and resume
 * ---------------------------
 * - The cache numbers its update log with `seq`, a non-negative safe integer that grows within an
 *   `epoch` (an opaque string that changes whenever the numbering restarts, e.g. on a cache
 *   restart). The granularity (per KV or per batch) is the server's choice, but **a frame never
 *   ends inside a seq**: after a Deltas frame with `seq: N` the client holds every update with a
 *   seq ≤ N. A snapshot chunk carries the seq of the state it shows; the client's resume point
 *   moves to it only when the last chunk has arrived.
 * - Deltas carry `firstSeq` and `seq`: the client requires `firstSeq === lastSeq + 1` (a gap is a
 *   protocol error: the client drops its resume point and reconnects) and `seq ≥ firstSeq`.
 *   Merged laggard batches simply cover a wider range.
 * - A reconnecting client sends `resume: {epoch, seq}`. The server answers `mode: 'resume'` only
 *   when the epoch matches and it still retains every update after `seq` (see {@link
 *   chooseStartMode}); otherwise it sends a full snapshot, and the client diffs it against what it
 *   holds, emitting only real changes (deletions for missing keys once the last chunk is in).
 * - Status is not part of the resumable state: the server sends a Status frame after every
 *   snapshot and right after a resuming ServerHello.
 *
 * Limits (bytes and items, both directions)
 * -----------------------------------------
 * The server accepts client frames up to {@link DEFAULT_SERVER_MAX_FRAME_BYTES} (hellos and pongs
 * are tiny); the client accepts server frames up to {@link DEFAULT_CLIENT_MAX_FRAME_BYTES}, which
 * also bounds a snapshot chunk's *decompressed* size; KVs per Deltas frame and per snapshot chunk
 * are bounded by {@link DEFAULT_MAX_KVS_PER_FRAME} on decode. Servers aim well below those with
 * {@link DEFAULT_MAX_CHUNK_BYTES} / {@link DEFAULT_MAX_CHUNK_ITEMS} and {@link
 * DEFAULT_MAX_DELTA_ITEMS}. Set ws `maxPayload` to the same byte limit so oversize frames are
 * refused before they are buffered. Violations are `FrameTooLargeError`s, never crashes.
 *
 * Unknown and unexpected messages
 * -------------------------------
 * - The client ignores frame types it does not know (a newer server), like Typha's client.
 * - After the handshake a client sends only Pong, or GoAway right before it closes (stop,
 *   protocol error, timeout); the server closes the connection on anything else (Typha's server).
 * - A peer that wants to say why it closes sends GoAway first, then closes the WebSocket with one
 *   of the {@link CLOSE_CODES}.
 *
 * Upgrading the protocol (the rules, as in Typha's sync_proto.go)
 * ---------------------------------------------------------------
 * 1. Never send a new frame type, a new enum value or a required field to a peer without knowing
 *    it understands it: gate it on a feature string both hellos list, or on a new protocol
 *    version that `negotiate()` picked.
 * 2. New optional map fields may be added freely: decoders ignore fields they do not know, and a
 *    missing optional field means "old peer" and takes the documented default.
 * 3. Never change the meaning, type or msgpack encoding of an existing field, frame type number
 *    or KV blob layout. Make a new field/type and gate it (rule 1).
 * 4. A change to the bytes any message produces must show up in the golden test
 *    (`src/codec/testdata/golden-frames.json`); review it as a wire change.
 * 5. Servers keep speaking every version in `SUPPORTED_PROTOCOL_VERSIONS` for at least one
 *    release after a new one appears, so agents and caches can be upgraded in either order.
 *
 * Why not …
 * ---------
 * - *per-message deflate*: it is per connection, so the same bytes would be compressed once per
 *   client, and it costs ~150 µs per small message (deps.md §5). Snapshots are compressed once by
 *   the server and the same Buffers go to every client.
 * - *gob-like stateful streams or shared msgpack structures*: each KV blob must be decodable on
 *   its own so it can be serialised once and reused in every Deltas frame and snapshot.
 * - *no version number (Typha)*: we negotiate an explicit version plus feature strings.
 */
import type { SnapshotCompression } from './types.js'

/** The protocol version this build prefers. */
export const PROTOCOL_VERSION = 1

/** Every protocol version this build can speak, most preferred first. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [PROTOCOL_VERSION]

/** Default TCP port of the cache's sync server (Typha's port). */
export const DEFAULT_SYNC_PORT = 5473

/** Syncer type a client asks for when it does not say (the only one cattail serves today). */
export const DEFAULT_SYNCER_TYPE = 'mesh'

/** Payload encoding announced in the ServerHello; the only one defined by version 1. */
export const ENCODING_MSGPACK = 'msgpack'

/** Feature strings defined by this build. Unknown features in a peer's hello are ignored. */
export const FEATURES = {
  /** The peer understands `resume` in the ClientHello and `mode: 'resume'` in the ServerHello. */
  resume: 'resume',
  /** The peer understands per-remote-cluster entries in Status frames. */
  remoteStatus: 'remote-status',
  /**
   * The peer understands Deltas frames whose KV run is raw-deflated (header fields `compression:
   * 'deflate'` and `rawBytes`). A server sends them only to clients that list this feature.
   */
  deltasDeflate: 'deltas-deflate',
} as const

/** Every feature this build supports. */
export const SUPPORTED_FEATURES: readonly string[] = Object.values(FEATURES)

/** Snapshot compressions this build supports, most preferred first. */
export const SUPPORTED_SNAPSHOT_COMPRESSION: readonly SnapshotCompression[] = ['deflate', 'none']

/** Largest frame the server accepts from a client, in bytes (Typha: 1 MiB). */
export const DEFAULT_SERVER_MAX_FRAME_BYTES = 1024 * 1024

/** Largest frame (and decompressed snapshot chunk) the client accepts, in bytes. */
export const DEFAULT_CLIENT_MAX_FRAME_BYTES = 64 * 1024 * 1024

/** Most KVs a decoder accepts in one Deltas frame or snapshot chunk. */
export const DEFAULT_MAX_KVS_PER_FRAME = 100_000

/** Uncompressed bytes a server puts in one snapshot chunk (a blob larger than this gets its own chunk). */
export const DEFAULT_MAX_CHUNK_BYTES = 1024 * 1024

/** KVs a server puts in one snapshot chunk (Typha: 1000). */
export const DEFAULT_MAX_CHUNK_ITEMS = 1000

/** KVs a server aims to put in one Deltas frame (Typha: 100). */
export const DEFAULT_MAX_DELTA_ITEMS = 100

/**
 * WebSocket close codes the protocol uses. 1000/1001/1002/1008/1009/1011 are RFC 6455's; 4xxx are
 * ours (the RFC reserves 4000–4999 for applications).
 */
export const CLOSE_CODES = {
  /** Orderly close (stop()). */
  normal: 1000,
  /** The server is shutting down or shedding load; reconnect elsewhere. */
  goingAway: 1001,
  /** A malformed frame or a broken message order. */
  protocolError: 1002,
  /** The peer is not allowed (handshake rejected, wrong identity). */
  policyViolation: 1008,
  /** A frame over the byte or item limit. */
  tooBig: 1009,
  /** An internal error on the server. */
  internalError: 1011,
  /** The client fell too far behind. */
  tooSlow: 4001,
  /** No pong (server) or no frame (client) in time. */
  timeout: 4002,
} as const

/** One of {@link CLOSE_CODES}. */
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES]

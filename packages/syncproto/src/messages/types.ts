/**
 * The messages of the sync protocol as TypeScript values (what `decodeFrame` returns and
 * `encodeFrame` takes). The wire layout of each is in `frame-types.ts` and `src/codec/`; the
 * rules are in `protocol.ts`.
 */
import type { KVUpdate, RemoteClusterState, SyncStatus } from '@cattail/model'

/** How the KV run inside a snapshot chunk is compressed. `deflate` = raw deflate (RFC 1951). */
export type SnapshotCompression = 'deflate' | 'none'

/** Where a client stood when its last connection ended. */
export interface ResumePoint {
  /** The server's epoch from the last ServerHello. */
  readonly epoch: string
  /** The last sequence number the client holds every update up to. */
  readonly seq: number
}

/** C→S, first frame. */
export interface ClientHello {
  readonly type: 'client-hello'
  /** Protocol versions the client speaks, any order. */
  readonly versions: readonly number[]
  /** Feature strings the client supports (see FEATURES). */
  readonly features: readonly string[]
  /** Node name of the agent (for logs and metrics). */
  readonly nodeName: string
  /** Which stream the client wants. @default 'mesh' */
  readonly syncerType: string
  /** The client's build version (informational). */
  readonly clientVersion: string
  /** Snapshot compressions the client can read, in preference order. 'none' is always allowed. */
  readonly snapshotCompression: readonly SnapshotCompression[]
  /** Set on a reconnect when the client holds state it could resume from. */
  readonly resume?: ResumePoint
}

/** Whether the server continues a previous stream or starts over with a snapshot. */
export type StartMode = 'resume' | 'snapshot'

/** S→C, the answer to a ClientHello. */
export interface ServerHello {
  readonly type: 'server-hello'
  /** The protocol version the server chose from the client's list. */
  readonly version: number
  /** Features both sides support (the server's intersection). */
  readonly features: readonly string[]
  /** The server's epoch: resume points are only valid within one epoch. */
  readonly epoch: string
  /** Encoding of every payload. Only 'msgpack' exists. */
  readonly encoding: 'msgpack'
  /** Compression the server uses for snapshot chunks. */
  readonly snapshotCompression: SnapshotCompression
  /** 'resume': deltas continue from the client's resume seq; 'snapshot': a snapshot follows. */
  readonly mode: StartMode
  /** Echo of the syncer type served. */
  readonly syncerType: string
  /** Server connection id, for correlating logs on both sides. */
  readonly serverConnId: string
  /** The server's build version (informational). */
  readonly serverVersion: string
}

/** S→C, one piece of a snapshot. Chunks of one snapshot share `seq` and count `index` up from 0. */
export interface SnapshotChunk {
  readonly type: 'snapshot-chunk'
  /** The sequence number of the state the snapshot shows. */
  readonly seq: number
  /** 0-based position of this chunk in the snapshot. */
  readonly index: number
  /** True on the final chunk. */
  readonly last: boolean
  /** The KVs in this chunk (values always defined in a snapshot). */
  readonly updates: readonly KVUpdate[]
}

/** S→C, a batch of changes. */
export interface Deltas {
  readonly type: 'deltas'
  /** The lowest sequence number this frame covers (= the client's last seq + 1). */
  readonly firstSeq: number
  /** The sequence number the client holds after applying this frame. */
  readonly seq: number
  /** Changes in order; `value === undefined` is a deletion. */
  readonly updates: readonly KVUpdate[]
}

/** Status of one remote cluster as carried in a Status frame. */
export interface RemoteStatusEntry {
  readonly status: RemoteClusterState
  /** Human-readable reason for ConnectionFailed/ConfigIncomplete. */
  readonly error?: string
}

/** S→C, overall sync status plus one entry per remote cluster. */
export interface StatusMessage {
  readonly type: 'status'
  readonly status: SyncStatus
  /** Keyed by RemoteClusterConfiguration name. */
  readonly remotes: Readonly<Record<string, RemoteStatusEntry>>
}

/** S→C keepalive; the client answers with a Pong. */
export interface Ping {
  readonly type: 'ping'
  /** Server wall clock when sent, ms since the Unix epoch. */
  readonly timestampMs: number
}

/** C→S answer to a Ping. */
export interface Pong {
  readonly type: 'pong'
  /** Copied from the Ping. */
  readonly pingTimestampMs: number
  /** Client wall clock when answering, ms since the Unix epoch. */
  readonly pongTimestampMs: number
}

/**
 * Why a server (or client) is closing the connection.
 * - `shedding`: rebalancing; reconnect (to another server) after `reconnectAfterMs`.
 * - `shutdown`: the server is stopping.
 * - `too-slow`: the client fell behind for too long.
 * - `protocol-error`: the peer sent something invalid (`message` says what).
 * - `unsupported`: handshake rejected (no common version, unknown syncer type, missing feature).
 * - `resume-unavailable`: the server cannot serve this client right now (e.g. not yet holding
 *   any state); reconnect later.
 * - `timeout`: handshake or pong timeout.
 * - `other`: a reason this build does not know (from a newer peer).
 */
export type GoAwayReason =
  | 'shedding'
  | 'shutdown'
  | 'too-slow'
  | 'protocol-error'
  | 'unsupported'
  | 'resume-unavailable'
  | 'timeout'
  | 'other'

/** Either direction, last frame before a deliberate close. */
export interface GoAway {
  readonly type: 'go-away'
  readonly reason: GoAwayReason
  /** Free text for logs. */
  readonly message?: string
  /** Wait at least this long before reconnecting, ms. */
  readonly reconnectAfterMs?: number
}

/** Frames a client sends. */
export type ClientMessage = ClientHello | Pong | GoAway

/** Frames a server sends. */
export type ServerMessage = ServerHello | SnapshotChunk | Deltas | StatusMessage | Ping | GoAway

/** Any message of this protocol version. */
export type Message = ClientMessage | ServerMessage

/** A frame whose type byte this build does not know (from a newer peer). */
export interface UnknownFrame {
  readonly type: 'unknown'
  /** The frame type byte. */
  readonly typeCode: number
}

/** What `decodeFrame` returns. */
export type DecodedFrame = Message | UnknownFrame

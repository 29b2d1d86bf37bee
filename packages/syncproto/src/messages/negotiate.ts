/**
 * Handshake decisions the server makes, as pure functions: version/feature negotiation and
 * whether a reconnecting client can resume.
 */
import { FEATURES } from './protocol.js'
import type { ClientHello, ResumePoint, SnapshotCompression, StartMode } from './types.js'

/** What a server can offer. */
export interface ServerCapabilities {
  /** Protocol versions the server speaks, most preferred first. */
  readonly versions: readonly number[]
  /** Features the server supports. */
  readonly features: readonly string[]
  /** Features a client must list to be served (e.g. none today). @default [] */
  readonly requiredFeatures?: readonly string[]
  /** Syncer types the server serves (e.g. ['mesh']). */
  readonly syncerTypes: readonly string[]
  /** Snapshot compressions the server can produce, most preferred first. */
  readonly snapshotCompression: readonly SnapshotCompression[]
}

/** Why negotiation failed. */
export type NegotiationFailure =
  'no-common-version' | 'unsupported-syncer-type' | 'missing-required-feature'

/** The outcome of {@link negotiate}. */
export type NegotiationResult =
  | {
      readonly ok: true
      /** Highest-preference server version the client also speaks. */
      readonly version: number
      /** Features both sides support, in the server's order. */
      readonly features: readonly string[]
      readonly syncerType: string
      /** First server preference the client accepts; 'none' when nothing else matches. */
      readonly snapshotCompression: SnapshotCompression
    }
  | { readonly ok: false; readonly reason: NegotiationFailure; readonly message: string }

/** Picks version, features and compression for a client, or says why it cannot be served. */
export function negotiate(hello: ClientHello, caps: ServerCapabilities): NegotiationResult {
  const version = caps.versions.find((v) => hello.versions.includes(v))
  if (version === undefined) {
    return {
      ok: false,
      reason: 'no-common-version',
      message: `client speaks versions [${hello.versions.join(',')}], server [${caps.versions.join(',')}]`,
    }
  }
  if (!caps.syncerTypes.includes(hello.syncerType)) {
    return {
      ok: false,
      reason: 'unsupported-syncer-type',
      message: `syncer type ${JSON.stringify(hello.syncerType)} is not served`,
    }
  }
  const missing = (caps.requiredFeatures ?? []).filter((f) => !hello.features.includes(f))
  if (missing.length > 0) {
    return {
      ok: false,
      reason: 'missing-required-feature',
      message: `client lacks required features: ${missing.join(',')}`,
    }
  }
  const features = caps.features.filter((f) => hello.features.includes(f))
  const snapshotCompression =
    caps.snapshotCompression.find((c) => c === 'none' || hello.snapshotCompression.includes(c)) ??
    'none'
  return { ok: true, version, features, syncerType: hello.syncerType, snapshotCompression }
}

/** The part of the server's update log a resume can start from. */
export interface RetainedLog {
  /** The server's current epoch. */
  readonly epoch: string
  /**
   * The lowest seq a client may resume from: the server still holds every update with a seq
   * greater than this.
   */
  readonly resumableFromSeq: number
  /** The newest seq the server has published. */
  readonly currentSeq: number
}

/**
 * Whether a client that sent `resume` can continue with deltas after its seq ('resume'), or must
 * get a snapshot. Resume needs the 'resume' feature negotiated, the same epoch, and a seq inside
 * `[resumableFromSeq, currentSeq]` (a seq from the future means the client saw another server).
 */
export function chooseStartMode(
  resume: ResumePoint | undefined,
  negotiatedFeatures: readonly string[],
  log: RetainedLog
): StartMode {
  if (resume === undefined || !negotiatedFeatures.includes(FEATURES.resume)) return 'snapshot'
  if (resume.epoch !== log.epoch) return 'snapshot'
  if (resume.seq < log.resumableFromSeq || resume.seq > log.currentSeq) return 'snapshot'
  return 'resume'
}

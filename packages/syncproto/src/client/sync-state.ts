/**
 * The client's copy of the server state, its resume point, and the diffing that makes a
 * reconnect invisible to consumers.
 *
 * Overview: every frame's KVs are applied here and only *real* changes come back for the
 * consumer: a new key, a changed value, or a deletion of a key we hold. During a snapshot the keys
 * seen are recorded; when the last chunk arrives, every held key the snapshot did not mention is
 * deleted (synthesised deletions, Typha's DedupeBuffer behaviour). A reconnect with unchanged data
 * therefore emits nothing.
 *
 * Implementation: values are compared with `util.isDeepStrictEqual`; a revision-only change is
 * stored silently. With `retain: 'digest'` the held value is replaced by a digest of it (SHA-256 of
 * its JSON text, as a 32-character latin1 string: one byte per character, no Buffer and no base64
 * step, which halved the hashing cost per KV): a consumer that keeps its own copy of what it needs (the agent's
 * calcs) does not pay for a second one here; equal digests mean an equal value (JSON text is
 * stricter than deep equality: a reordered map counts as a change, which only costs a redundant
 * update). The revision-only rule holds the same way. What is held per key is then one string, digest
 * then revision, not an object: at 100,000 endpoints the object cost ~56 bytes per key (the value is what consumers act on; Typha's dedupe ignores revisions too). The
 * resume point is dropped as soon as a snapshot starts and set again only by its last chunk, so an
 * interrupted snapshot always leads to another snapshot, never to a resume from a stale seq.
 * No I/O, no clock.
 */
import type { KVUpdate } from '@cattail/model'
import { hash } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { ProtocolError } from '../errors.js'
import type { ResumePoint } from '../messages/types.js'

/** Characters of a {@link valueDigest}. */
export const DIGEST_LENGTH = 32

/**
 * What the client holds for a key with `retain: 'digest'`: the value's digest
 * ({@link DIGEST_LENGTH} characters) followed by the revision, one string (no object per key).
 */
export type HeldDigest = string

/** The revision in a {@link HeldDigest}. */
export const heldRevision = (held: HeldDigest): string => held.slice(DIGEST_LENGTH)

/** What the client keeps of each value: the value itself, or only a digest of it. */
export type SyncRetain = 'value' | 'digest'

/**
 * The digest {@link SyncState} keeps with `retain: 'digest'`: SHA-256 over the value's JSON text,
 * its 32 bytes as a latin1 string ({@link DIGEST_LENGTH} characters, any of U+0000–U+00FF; an
 * in-memory key, never printed or sent). Hashing straight to a string skips a Buffer and its
 * base64 encoding (measured: ~1.3 → ~0.6 µs per endpoint-sized value).
 */
export function valueDigest(value: unknown): string {
  return hash('sha256', JSON.stringify(value), 'binary') // 'binary' is latin1
}

/** Key → latest update (or its digest), plus where to resume. */
export class SyncState {
  /** Key → update, or key → digest and revision with retain 'digest' (one kind per instance). */
  readonly #kvs = new Map<string, KVUpdate | HeldDigest>()
  readonly #none = new Map<string, never>()
  #resume: ResumePoint | undefined
  /** Epoch of the live stream (set by a resume or a completed snapshot). */
  #epoch: string | undefined
  /** Keys seen by the snapshot in progress; undefined when none is. */
  #seen: Set<string> | undefined
  readonly #project: ((u: KVUpdate) => KVUpdate) | undefined
  readonly #digests: boolean

  /**
   * @param project applied to every non-deletion before it is stored (see SyncClientConfig)
   * @param retain what to keep of each value (see SyncClientConfig)
   */
  constructor(project?: (u: KVUpdate) => KVUpdate, retain: SyncRetain = 'value') {
    this.#project = project
    this.#digests = retain === 'digest'
  }

  /** Every key the client holds (never contains deletions); empty with retain 'digest'. */
  get kvs(): ReadonlyMap<string, KVUpdate> {
    return this.#digests ? this.#none : (this.#kvs as Map<string, KVUpdate>)
  }

  /** With retain 'digest', every key the client holds and its digest; empty otherwise. */
  get digests(): ReadonlyMap<string, HeldDigest> {
    return this.#digests ? (this.#kvs as Map<string, HeldDigest>) : this.#none
  }

  /** Where a reconnect can resume from, if anywhere. */
  get resumePoint(): ResumePoint | undefined {
    return this.#resume
  }

  /** True while a snapshot is being received. */
  get inSnapshot(): boolean {
    return this.#seen !== undefined
  }

  /** Forgets the resume point (after a seq gap or any doubt). */
  dropResumePoint(): void {
    this.#resume = undefined
    this.#epoch = undefined
  }

  /** The server resumes our stream: deltas continue after our seq. */
  resume(epoch: string): void {
    if (this.#resume === undefined || this.#resume.epoch !== epoch) {
      throw new ProtocolError('handshake', 'server resumed a stream the client cannot resume')
    }
    this.#epoch = epoch
  }

  /** A snapshot begins: the resume point is void until it completes. */
  beginSnapshot(): void {
    this.#seen = new Set()
    this.dropResumePoint()
  }

  /** Applies one chunk; returns the real changes. */
  applySnapshotChunk(updates: readonly KVUpdate[]): KVUpdate[] {
    const seen = this.#seen
    if (seen === undefined)
      throw new ProtocolError('unexpected-message', 'snapshot chunk outside a snapshot')
    const changes: KVUpdate[] = []
    for (const received of updates) {
      seen.add(received.key)
      const u = this.#project === undefined ? received : this.#project(received)
      if (this.#store(u)) changes.push(u)
    }
    return changes
  }

  /**
   * Completes the snapshot at `seq` of `epoch`: deletes every held key the snapshot did not
   * carry and returns those deletions.
   */
  finishSnapshot(epoch: string, seq: number): KVUpdate[] {
    const seen = this.#seen
    if (seen === undefined)
      throw new ProtocolError('unexpected-message', 'snapshot end outside a snapshot')
    const deletions: KVUpdate[] = []
    for (const [key, prev] of this.#kvs) {
      if (seen.has(key)) continue
      this.#kvs.delete(key)
      const revision = typeof prev === 'string' ? heldRevision(prev) : prev.revision
      deletions.push({ key, value: undefined, revision })
    }
    this.#seen = undefined
    this.#epoch = epoch
    this.#resume = { epoch, seq }
    return deletions
  }

  /** A connection ended mid-snapshot: keep what arrived, wait for the next snapshot. */
  abandonSnapshot(): void {
    this.#seen = undefined
  }

  /**
   * Applies a Deltas frame that must continue exactly after our seq; returns the real changes.
   * Throws ProtocolError('seq-gap') (and drops the resume point) when it does not.
   */
  applyDeltas(firstSeq: number, seq: number, updates: readonly KVUpdate[]): KVUpdate[] {
    const at = this.#resume
    if (at === undefined || this.#epoch === undefined || this.#seen !== undefined) {
      throw new ProtocolError('unexpected-message', 'deltas before the stream started')
    }
    if (firstSeq !== at.seq + 1) {
      this.dropResumePoint()
      throw new ProtocolError(
        'seq-gap',
        `deltas start at ${firstSeq}, client holds up to ${at.seq}`
      )
    }
    const changes: KVUpdate[] = []
    for (const u of updates) {
      if (u.value === undefined) {
        if (this.#kvs.delete(u.key)) changes.push(u)
      } else {
        const p = this.#project === undefined ? u : this.#project(u)
        if (this.#store(p)) changes.push(p)
      }
    }
    this.#resume = { epoch: at.epoch, seq }
    return changes
  }

  /** Stores a non-deletion; true when the value differs from what was held. */
  #store(u: KVUpdate): boolean {
    const prev = this.#kvs.get(u.key)
    if (this.#digests) {
      const digest = valueDigest(u.value)
      this.#kvs.set(u.key, digest + u.revision)
      return typeof prev !== 'string' || !prev.startsWith(digest)
    }
    this.#kvs.set(u.key, u)
    return typeof prev !== 'object' || !isDeepStrictEqual(prev.value, u.value)
  }
}

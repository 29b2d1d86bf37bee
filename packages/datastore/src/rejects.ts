/**
 * The per-object guard every driver runs its conversion through, and the "log once per key"
 * bookkeeping of rejected objects.
 *
 * A stored object that fails parsing, validation or conversion, or whose conversion throws (a
 * bug, e.g. a stack overflow on a hostile input), is "invalid, treated as absent": the driver
 * reports a BadObjectError through `onFailure` every time (the consumer counts it in
 * `cattail_datastore_rejected_objects_total{kind,reason}`), but logs a warning only the first time
 * a key goes bad, so a relist or a flapping writer cannot flood the log. A key that becomes valid
 * again or is deleted is forgotten, so its next failure is logged again.
 *
 * Tombstones: a rejected RemoteClusterConfiguration has a visible consequence (the mesh syncer
 * shows it as ConfigIncomplete), so when one is deleted the driver emits a deletion of its key
 * even though it never emitted a value ({@link tombstoneFor}); consumers treat the deletion of an
 * absent key as a no-op, and the mesh syncer clears the status.
 */
import { errorMessage, type Logger, type MeshError } from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import { BadObjectError, type BadObjectReason } from './errors.js'

/** The outcome of {@link guardConversion}. */
export type Guarded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly detail: string; readonly cause: unknown }

/**
 * Runs `convert` and turns any exception into a failed outcome (never throws). The detail of a
 * caught exception starts with `conversion failed:` so logs tell it from a validation error.
 */
export function guardConversion<T>(convert: () => T): Guarded<T> {
  try {
    return { ok: true, value: convert() }
  } catch (err) {
    return { ok: false, detail: `conversion failed: ${errorMessage(err)}`, cause: err }
  }
}

/** The deletion to emit when a rejected object of `kind` named `name` is gone, if any. */
export function tombstoneFor(kind: string, name: string, revision: string): KVUpdate | undefined {
  if (kind !== 'RemoteClusterConfiguration' || name === '' || name.includes('/')) return undefined
  return { key: `RemoteClusterConfiguration/${name}`, value: undefined, revision }
}

/** Tracks which keys are currently rejected, to log each once; reports every rejection. */
export class RejectedObjects {
  readonly #bad = new Set<string>()

  constructor(
    private readonly log: Logger,
    private readonly report: (err: MeshError) => void
  ) {}

  /** Number of keys currently rejected. */
  get size(): number {
    return this.#bad.size
  }

  /**
   * Records that the object at `source` (key, file document, `<resource> <ns>/<name>`) was
   * rejected; logs it the first time and reports a BadObjectError every time.
   */
  reject(
    source: string,
    kind: string,
    reason: BadObjectReason,
    detail: string,
    cause?: unknown
  ): void {
    if (!this.#bad.has(source)) {
      this.#bad.add(source)
      this.log.warn({ source, kind, reason, detail }, 'invalid object treated as absent')
    }
    this.report(new BadObjectError(source, detail, cause, kind, reason))
  }

  /**
   * The object at `source` is valid again, or gone: its next rejection is logged again. Returns
   * true when it was rejected until now.
   */
  accept(source: string): boolean {
    return this.#bad.delete(source)
  }

  /** Forgets every key not in `present` (after a full listing). */
  retain(present: ReadonlySet<string>): void {
    for (const s of this.#bad) if (!present.has(s)) this.#bad.delete(s)
  }
}

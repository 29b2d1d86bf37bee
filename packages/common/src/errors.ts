/**
 * Typed errors shared by every cattail package.
 *
 * Each failure has its own class with a stable `code` (matched across log and wire boundaries);
 * `instanceof` is for use within one process only. Packages declare their own subclasses in their
 * `src/errors.ts`; the codes they use are string literals of the form `ERR_<WHAT>`.
 */

/** A stable, greppable error code such as `ERR_CONFIG`. */
export type ErrorCode = `ERR_${string}`

/** Base class of every error cattail throws on purpose. */
export abstract class MeshError extends Error {
  /** Stable code; see {@link ErrorCode}. */
  abstract readonly code: ErrorCode
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** A configuration value is missing or invalid; the message lists every problem found. */
export class ConfigError extends MeshError {
  readonly code = 'ERR_CONFIG'
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`)
  }
}

/** `start()` was called on a component that is already running. */
export class AlreadyStartedError extends MeshError {
  readonly code = 'ERR_ALREADY_STARTED'
  constructor(readonly component: string) {
    super(`${component} is already started`)
  }
}

/** An operation was abandoned because its AbortSignal fired. */
export class AbortedError extends MeshError {
  readonly code = 'ERR_ABORTED'
  constructor(what = 'operation') {
    super(`${what} aborted`)
  }
}

/** True when `err` is a MeshError, optionally with the given code. */
export const isMeshError = (err: unknown, code?: ErrorCode): err is MeshError =>
  err instanceof MeshError && (code === undefined || err.code === code)

/** Best-effort one-line description of any thrown value, for status texts. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  if (typeof err === 'string') return err
  try {
    return JSON.stringify(err)
  } catch {
    return String(err)
  }
}

/** Exhaustiveness check for switches over discriminated unions: `default: assertNever(msg)`. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`)
}

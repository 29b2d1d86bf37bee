/**
 * Shape checks for decoded msgpack maps. Every failure is a ProtocolError('bad-payload'); unknown
 * fields are ignored (forward compatibility, see protocol.ts).
 */
import { ProtocolError } from '../errors.js'

/** A decoded msgpack map. */
export type WireMap = Readonly<Record<string, unknown>>

const bad = (msg: string): ProtocolError => new ProtocolError('bad-payload', msg)

/** Checks that `v` is a plain map (not an array, not null). */
export function asMap(v: unknown, what: string): WireMap {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Buffer.isBuffer(v)) {
    throw bad(`${what}: expected a map`)
  }
  return v as WireMap
}

/** A required string field. */
export function str(m: WireMap, field: string): string {
  const v = m[field]
  if (typeof v !== 'string') throw bad(`field ${field}: expected a string`)
  return v
}

/** An optional string field. */
export function optStr(m: WireMap, field: string): string | undefined {
  return m[field] === undefined || m[field] === null ? undefined : str(m, field)
}

/** A required non-negative safe integer field. */
export function uint(m: WireMap, field: string): number {
  const v = m[field]
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw bad(`field ${field}: expected a non-negative integer`)
  }
  return v
}

/** An optional non-negative safe integer field. */
export function optUint(m: WireMap, field: string): number | undefined {
  return m[field] === undefined || m[field] === null ? undefined : uint(m, field)
}

/** A required finite number field (timestamps). */
export function num(m: WireMap, field: string): number {
  const v = m[field]
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`field ${field}: expected a number`)
  return v
}

/** A required boolean field. */
export function bool(m: WireMap, field: string): boolean {
  const v = m[field]
  if (typeof v !== 'boolean') throw bad(`field ${field}: expected a boolean`)
  return v
}

/** A required array of strings. */
export function strArray(m: WireMap, field: string): string[] {
  const v = m[field]
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw bad(`field ${field}: expected an array of strings`)
  }
  return v
}

/** A required array of non-negative integers. */
export function uintArray(m: WireMap, field: string): number[] {
  const v = m[field]
  if (
    !Array.isArray(v) ||
    !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)
  ) {
    throw bad(`field ${field}: expected an array of non-negative integers`)
  }
  return v as number[]
}

/** A required string field restricted to `allowed`. */
export function oneOf<T extends string>(m: WireMap, field: string, allowed: readonly T[]): T {
  const v = str(m, field)
  if (!(allowed as readonly string[]).includes(v)) {
    throw bad(`field ${field}: unknown value ${JSON.stringify(v.slice(0, 64))}`)
  }
  return v as T
}

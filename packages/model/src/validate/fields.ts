/**
 * Small typed readers for untrusted JSON, used by validation and conversions.
 *
 * Implementation: each reader checks one field and throws a `FieldProblem` naming the dotted field
 * path; `checked()` catches it at the boundary and turns it into a `ValidationError` result, so
 * nothing escapes to callers. Throwing internally keeps deeply nested specs readable (no result
 * plumbing at every level).
 */
import { ValidationError } from '../errors.js'
import { isValidCidr, isValidIp, isValidMac, toCidr } from './net.js'

/** Internal: one field is wrong. Never escapes `checked()`. */
export class FieldProblem extends Error {
  constructor(
    readonly field: string,
    readonly problem: string
  ) {
    super(`${field} ${problem}`)
  }
}

/** Throws a FieldProblem for `field`. */
export function fail(field: string, problem: string): never {
  throw new FieldProblem(field, problem)
}

/** Renders a bad value for a message: strings quoted, others as JSON. */
export const show = (v: unknown): string => {
  try {
    const s = JSON.stringify(v)
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s
  } catch {
    return String(v)
  }
}

/** Outcome of a checked computation. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: ValidationError }

/** Runs `fn`; a FieldProblem becomes a ValidationError for `kind`/`name`. Other errors propagate (bugs). */
export function checked<T>(kind: string, name: string, fn: () => T): Checked<T> {
  try {
    return { ok: true, value: fn() }
  } catch (err) {
    if (err instanceof FieldProblem) {
      return { ok: false, error: new ValidationError(kind, name, err.field, err.problem) }
    }
    throw err
  }
}

/** A plain JSON object. */
export type JsonObject = Readonly<Record<string, unknown>>

/** True when `v` is a non-null, non-array object. */
export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** `v` as an object; absent (undefined/null) gives `{}` unless `required`. */
export function obj(v: unknown, field: string, required = false): JsonObject {
  if (v === undefined || v === null) {
    if (required) fail(field, 'is required')
    return {}
  }
  if (!isObject(v)) fail(field, `must be an object, got ${show(v)}`)
  return v
}

/** An optional object: undefined when absent. */
export function optObj(v: unknown, field: string): JsonObject | undefined {
  return v === undefined || v === null ? undefined : obj(v, field)
}

/** A required non-empty string. */
export function str(v: unknown, field: string): string {
  if (v === undefined || v === null || v === '') fail(field, 'is required')
  if (typeof v !== 'string') fail(field, `must be a string, got ${show(v)}`)
  return v
}

/** An optional string (empty string counts as absent). */
export function optStr(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v !== 'string') fail(field, `must be a string, got ${show(v)}`)
  return v
}

/** An optional boolean. */
export function optBool(v: unknown, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'boolean') fail(field, `must be true or false, got ${show(v)}`)
  return v
}

/** An optional finite number, within [min, max] when given. */
export function optNum(
  v: unknown,
  field: string,
  opts: { min?: number; max?: number; integer?: boolean } = {}
): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(field, `must be a number, got ${show(v)}`)
  if (opts.integer === true && !Number.isInteger(v))
    fail(field, `must be an integer, got ${show(v)}`)
  if (opts.min !== undefined && v < opts.min) fail(field, `must be at least ${opts.min}, got ${v}`)
  if (opts.max !== undefined && v > opts.max) fail(field, `must be at most ${opts.max}, got ${v}`)
  return v
}

/** An optional array; each element read by `item(value, 'field[i]')`. Absent gives []. */
export function arr<T>(v: unknown, field: string, item: (x: unknown, f: string) => T): T[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) fail(field, `must be a list, got ${show(v)}`)
  return v.map((x: unknown, i) => item(x, `${field}[${i}]`))
}

/** A string → string map (labels, annotations, selectors). Absent gives undefined. */
export function optStringMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined
  const o = obj(v, field)
  const out: Record<string, string> = {}
  for (const [k, val] of Object.entries(o)) {
    if (typeof val !== 'string') fail(`${field}.${k}`, `must be a string, got ${show(val)}`)
    out[k] = val
  }
  return out
}

/** One of the allowed literal strings (absent gives `dflt`). */
export function oneOf<T extends string>(
  v: unknown,
  field: string,
  allowed: readonly T[],
  dflt: T
): T
export function oneOf<T extends string>(
  v: unknown,
  field: string,
  allowed: readonly T[]
): T | undefined
export function oneOf<T extends string>(
  v: unknown,
  field: string,
  allowed: readonly T[],
  dflt?: T
): T | undefined {
  if (v === undefined || v === null || v === '') return dflt
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(field, `must be one of ${allowed.join(', ')}, got ${show(v)}`)
  }
  return v as T
}

/** A required CIDR (host bits allowed). */
export function cidr(v: unknown, field: string): string {
  const s = str(v, field)
  if (!isValidCidr(s)) fail(field, `${show(s)} is not a valid CIDR`)
  return s
}

/** An address or CIDR, normalised to a CIDR (`10.0.0.5` → `10.0.0.5/32`). */
export function ipOrCidr(v: unknown, field: string): string {
  const s = str(v, field)
  const c = toCidr(s)
  if (c === undefined) fail(field, `${show(s)} is not a valid IP address or CIDR`)
  return c
}

/** An optional plain IP address. */
export function optIp(v: unknown, field: string): string | undefined {
  const s = optStr(v, field)
  if (s !== undefined && !isValidIp(s)) fail(field, `${show(s)} is not a valid IP address`)
  return s
}

/** An optional IP, or IP with a prefix (Calico's `bgp.ipv4Address` is `10.0.0.1/24`). */
export function optIpMaybeCidr(v: unknown, field: string): string | undefined {
  const s = optStr(v, field)
  if (s !== undefined && toCidr(s) === undefined) {
    fail(field, `${show(s)} is not a valid IP address`)
  }
  return s
}

/** An optional MAC address. */
export function optMac(v: unknown, field: string): string | undefined {
  const s = optStr(v, field)
  if (s !== undefined && !isValidMac(s)) fail(field, `${show(s)} is not a valid MAC address`)
  return s
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/**
 * A resource name: non-empty, at most 253 characters, no `/` (keys depend on it) and no
 * whitespace. `strict` additionally requires a DNS-1123 subdomain (lower-case alphanumerics, `-`, `.`).
 */
export function resourceName(v: unknown, field: string, strict = false): string {
  const s = str(v, field)
  if (s.length > 253) fail(field, `${show(s)} is longer than 253 characters`)
  if (s.includes('/')) fail(field, `${show(s)} must not contain "/"`)
  if (/\s/.test(s)) fail(field, `${show(s)} must not contain whitespace`)
  if (strict && !DNS_SUBDOMAIN.test(s)) {
    fail(field, `${show(s)} must consist of lower-case alphanumerics, "-" and "."`)
  }
  return s
}

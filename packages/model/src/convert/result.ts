/**
 * The result type of every conversion: a list of resources (possibly empty: a Pod that has no IP
 * yet, runs on the host network or has finished yields none), or a precise ValidationError.
 */
import type { ValidationError } from '../errors.js'
import type { Resource } from '../resources.js'

/** Outcome of converting one object. Never thrown: bad input gives `ok: false`. */
export type ConversionResult =
  | { readonly ok: true; readonly resources: readonly Resource[] }
  | { readonly ok: false; readonly error: ValidationError }

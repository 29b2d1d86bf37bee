/**
 * The label sets selectors evaluate: a `ReadonlyMap` (fast; what the LabelIndex keeps) or a plain
 * record (convenient; wrapped in a small adapter per evaluation, reading own properties only so
 * that a label named `constructor` or `__proto__` is not found on the prototype).
 */
import type { LabelLookup } from './ast.js'

/** Labels as a `ReadonlyMap` or a plain object of strings. */
export type Labels = ReadonlyMap<string, string> | Readonly<Record<string, string>>

class RecordLookup implements LabelLookup {
  constructor(private readonly rec: Readonly<Record<string, string>>) {}
  get(key: string): string | undefined {
    return Object.hasOwn(this.rec, key) ? this.rec[key] : undefined
  }
}

/** True when `labels` is a map (anything with a `get` method), false for a plain record. */
export function isLabelMap(labels: Labels): labels is ReadonlyMap<string, string> {
  return labels instanceof Map || typeof (labels as { get?: unknown }).get === 'function'
}

/** A lookup over `labels` without copying them. */
export function labelLookup(labels: Labels): LabelLookup {
  return isLabelMap(labels) ? labels : new RecordLookup(labels)
}

/** A fresh `Map` holding the entries of `labels`. */
export function toLabelMap(labels: Labels): Map<string, string> {
  return isLabelMap(labels) ? new Map(labels) : new Map(Object.entries(labels))
}

/**
 * Label restrictions: per-label necessary conditions for a selector to match (Calico
 * `LabelRestrictions()`, §3.5 of the Felix notes).
 *
 * Overview: a restriction says "to match, an item must have this label" (`mustBePresent`), "must
 * not have it" (`mustBeAbsent`), and/or "must have one of these values" (`mustHaveOneOfValues`). They
 * are lower bounds: a selector may need more than its restrictions say, never less. The
 * {@link LabelIndex} uses them to find the few selectors that can match an item.
 *
 * Rules (Calico's): `==`/`in` → present + values; `has`/`contains`/`starts with`/`ends with` →
 * present; `!has` → absent; every other node → none. AND ORs the flags and intersects value lists;
 * OR keeps only labels restricted on every branch (flags ANDed, values unioned, and dropped when a
 * branch restricts presence only).
 */
import type { SelectorNode } from './ast.js'
import { toSortedSet } from './string-set.js'

/** What an item's labels must satisfy for one label so that a selector can match. */
export interface LabelRestriction {
  /** The label must be present. */
  readonly mustBePresent: boolean
  /** The label must be absent. */
  readonly mustBeAbsent: boolean
  /**
   * When set, the label must have one of these values (distinct, sorted by UTF-8 bytes). An empty
   * array means no value can satisfy the selector. Undefined: no restriction on the value.
   */
  readonly mustHaveOneOfValues: readonly string[] | undefined
}

/** Restrictions by label name; labels without a restriction are absent from the map. */
export type LabelRestrictions = ReadonlyMap<string, LabelRestriction>

const EMPTY: LabelRestrictions = new Map()

/** True unless the restriction contradicts itself (present and absent, or an empty value list). */
export function isSatisfiable(r: LabelRestriction): boolean {
  if (r.mustBePresent && r.mustBeAbsent) return false
  return r.mustHaveOneOfValues === undefined || r.mustHaveOneOfValues.length > 0
}

/** Computes the label restrictions of a syntax tree. */
export function labelRestrictionsOf(node: SelectorNode): LabelRestrictions {
  switch (node.kind) {
    case 'eq':
      return one(node.label, true, false, [node.value])
    case 'in':
      return one(node.label, true, false, node.values)
    case 'has':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return one(node.label, true, false, undefined)
    case 'not':
      // Only !has(label) can be inverted: !(a == "b") does not require "a" to be absent.
      return node.operand.kind === 'has' ? one(node.operand.label, false, true, undefined) : EMPTY
    case 'ne':
    case 'notIn':
    case 'all':
    case 'global':
      return EMPTY
    case 'and':
      return andRestrictions(node.operands.map(labelRestrictionsOf))
    case 'or':
      return orRestrictions(node.operands.map(labelRestrictionsOf))
  }
}

function one(
  label: string,
  mustBePresent: boolean,
  mustBeAbsent: boolean,
  values: readonly string[] | undefined
): LabelRestrictions {
  return new Map([[label, { mustBePresent, mustBeAbsent, mustHaveOneOfValues: values }]])
}

function andRestrictions(parts: readonly LabelRestrictions[]): LabelRestrictions {
  const out = new Map<string, LabelRestriction>()
  for (const part of parts) {
    for (const [label, r] of part) {
      const base = out.get(label)
      if (base === undefined) {
        out.set(label, r)
        continue
      }
      let values = base.mustHaveOneOfValues
      if (values === undefined) values = r.mustHaveOneOfValues
      else if (r.mustHaveOneOfValues !== undefined) {
        const other = new Set(r.mustHaveOneOfValues)
        values = values.filter((v) => other.has(v))
      }
      out.set(label, {
        mustBePresent: base.mustBePresent || r.mustBePresent,
        mustBeAbsent: base.mustBeAbsent || r.mustBeAbsent,
        mustHaveOneOfValues: values,
      })
    }
  }
  return out
}

function orRestrictions(parts: readonly LabelRestrictions[]): LabelRestrictions {
  const [first, ...rest] = parts
  if (first === undefined) return EMPTY
  const out = new Map(first)
  for (const part of rest) {
    for (const [label, r] of out) {
      const o = part.get(label)
      const mustBePresent = r.mustBePresent && o?.mustBePresent === true
      const mustBeAbsent = r.mustBeAbsent && o?.mustBeAbsent === true
      if (!mustBePresent && !mustBeAbsent) {
        out.delete(label)
        continue
      }
      let values: readonly string[] | undefined
      if (mustBePresent && r.mustHaveOneOfValues !== undefined) {
        const ov = o?.mustHaveOneOfValues
        // A branch restricting presence only (has(label)) lifts the value restriction.
        values = ov === undefined ? undefined : toSortedSet([...r.mustHaveOneOfValues, ...ov])
      }
      out.set(label, { mustBePresent, mustBeAbsent, mustHaveOneOfValues: values })
    }
  }
  return out
}

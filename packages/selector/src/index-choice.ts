/**
 * How the label index files a selector: under the (label, value) buckets of one value restriction,
 * under one label (presence only), in the scanned "unindexed" list, or nowhere (contradictory
 * restrictions: it can never match).
 *
 * The choice is made once, when the selector is added, from the current item counts: the value
 * restriction whose buckets hold the fewest items (ties: fewer values, then the smaller label
 * name), else the presence restriction on the label held by the fewest items. Value buckets are
 * always preferred to presence because they are finer for both directions of the index.
 */
import { isSatisfiable, type LabelRestrictions } from './label-restrictions.js'

/** Where a selector is filed. */
export type IndexKind = 'value' | 'label' | 'unindexed' | 'never'

/** The chosen filing: `label` is '' and `values` empty unless `kind` needs them. */
export interface IndexChoice {
  readonly kind: IndexKind
  readonly label: string
  readonly values: readonly string[]
}

interface Candidate {
  readonly label: string
  readonly values: readonly string[]
  readonly cost: number
}

/**
 * Picks the filing for a selector with `restrictions`; `itemsWithValue(l, v)` and
 * `itemsWithLabel(l)` give the current item counts used as costs.
 */
export function chooseIndex(
  restrictions: LabelRestrictions,
  itemsWithValue: (label: string, value: string) => number,
  itemsWithLabel: (label: string) => number
): IndexChoice {
  let byValue: Candidate | undefined
  for (const [label, r] of restrictions) {
    if (!isSatisfiable(r)) return { kind: 'never', label: '', values: [] }
    const values = r.mustHaveOneOfValues
    if (values !== undefined) {
      let cost = 0
      for (const v of values) cost += itemsWithValue(label, v)
      const c = { label, values, cost }
      if (byValue === undefined || better(c, byValue)) byValue = c
    }
  }
  if (byValue !== undefined) return { kind: 'value', label: byValue.label, values: byValue.values }
  // Presence costs only when no value restriction exists (itemsWithLabel may be O(values)).
  let byLabel: Candidate | undefined
  for (const [label, r] of restrictions) {
    if (r.mustHaveOneOfValues !== undefined || !r.mustBePresent) continue
    const c = { label, values: [], cost: itemsWithLabel(label) }
    if (byLabel === undefined || better(c, byLabel)) byLabel = c
  }
  if (byLabel !== undefined) return { kind: 'label', label: byLabel.label, values: [] }
  return { kind: 'unindexed', label: '', values: [] }
}

function better(a: Candidate, b: Candidate): boolean {
  if (a.cost !== b.cost) return a.cost < b.cost
  if (a.values.length !== b.values.length) return a.values.length < b.values.length
  return a.label < b.label
}

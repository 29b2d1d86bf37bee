/**
 * The selector side of the label index: selectors filed by the restriction chosen for them
 * (`index-choice.ts`), plus every selector filed under each label it reads.
 *
 * ```
 *  byValue[label][value] ─ selectors requiring label ∈ {values}
 *  byLabel[label]        ─ selectors requiring only has(label)
 *  unindexed             ─ selectors with no usable restriction (scanned on item add/delete)
 *  readers[label]        ─ every selector, by each label it reads, grouped again by its filing:
 *                           .byValue[filingLabel][filingValue] / .byLabel[filingLabel] / .unindexed
 * ```
 * `readers` answers "which selectors read label L and could match an item with these labels" with
 * a few lookups per filing label instead of a scan of every reader of L.
 */
import type { LabelLookup, SelectorNode } from './ast.js'
import { LabelValueSets, SetMap } from './buckets.js'
import type { IndexChoice, IndexKind } from './index-choice.js'
import type { Selector } from './selector.js'
import { labelConstants, labelLeafCount } from './ast-walk.js'

/**
 * Selectors with at most this many label-reading leaves are evaluated on a label change without
 * the {@link mayChange} screen: two evaluations of a small tree read less memory than the screen's
 * lookups in the constants map, and the screen rarely rejects the readers the index visits.
 */
export const SCREEN_MIN_LEAVES = 5

/** A selector as the index keeps it. */
export interface SelectorRec {
  readonly id: string
  readonly selector: Selector
  readonly root: SelectorNode
  /** The label names the selector reads. */
  readonly refs: ReadonlySet<string>
  readonly kind: IndexKind
  /** The index label for 'value' and 'label'; '' otherwise. */
  readonly label: string
  /** The index values for 'value'. */
  readonly values: readonly string[]
  /** Per read label, the constants it is compared with (null: substring matches); see mayChange. */
  readonly constants: ReadonlyMap<string, ReadonlySet<string> | null>
  /** Whether a label change runs {@link mayChange} before evaluating (large trees only). */
  readonly screen: boolean
  /** Visit marker: equal to the index's current stamp when already considered in this change. */
  stamp: number
}

/** Builds the record of selector `id` filed as `choice`. */
export function selectorRec(id: string, selector: Selector, choice: IndexChoice): SelectorRec {
  return {
    id,
    selector,
    root: selector.root,
    refs: selector.labelNames(),
    kind: choice.kind,
    label: choice.label,
    values: choice.values,
    constants: labelConstants(selector.root),
    screen: labelLeafCount(selector.root) >= SCREEN_MIN_LEAVES,
    stamp: 0,
  }
}

/**
 * False when the selector's result cannot differ between `oldLabels` and `newLabels`, which differ
 * only in `changed`: every changed label it reads kept its presence and moved between values it never
 * compares with. True when it may differ (evaluate to know).
 */
export function mayChange(
  sel: SelectorRec,
  changed: readonly string[],
  oldLabels: LabelLookup,
  newLabels: LabelLookup
): boolean {
  for (let i = 0; i < changed.length; i++) {
    const l = changed[i]!
    const constants = sel.constants.get(l)
    if (constants === undefined) continue // not read
    if (constants === null) return true
    const ov = oldLabels.get(l)
    const nv = newLabels.get(l)
    if (ov === undefined || nv === undefined) {
      if (ov !== nv) return true
      continue
    }
    if (constants.has(ov) || constants.has(nv)) return true
  }
  return false
}

/** Selector buckets; see the file comment. */
export class SelectorBuckets {
  readonly #byValue = new LabelValueSets<SelectorRec>()
  readonly #byLabel = new SetMap<string, SelectorRec>()
  readonly #unindexed = new Set<SelectorRec>()
  readonly #readers = new Map<string, ReaderGroup>()
  // Filing label → how many selectors are filed under it ('value' and 'label' kinds).
  readonly #filed = new Map<string, number>()

  /** Whether some selector is filed under `label` (by value or by presence). */
  isFiled(label: string): boolean {
    return this.#filed.has(label)
  }

  /** Files `rec` (which must not be filed already). */
  add(rec: SelectorRec): void {
    if (rec.kind === 'value' || rec.kind === 'label') bump(this.#filed, rec.label, 1)
    for (const l of rec.refs) {
      let g = this.#readers.get(l)
      if (g === undefined) this.#readers.set(l, (g = new ReaderGroup(l)))
      g.add(rec)
    }
    switch (rec.kind) {
      case 'value':
        for (const v of rec.values) this.#byValue.add(rec.label, v, rec)
        break
      case 'label':
        this.#byLabel.add(rec.label, rec)
        break
      case 'unindexed':
        this.#unindexed.add(rec)
        break
      case 'never':
        break
    }
  }

  /** Unfiles `rec`. */
  delete(rec: SelectorRec): void {
    if (rec.kind === 'value' || rec.kind === 'label') bump(this.#filed, rec.label, -1)
    for (const l of rec.refs) {
      const g = this.#readers.get(l)
      if (g === undefined) continue
      g.delete(rec)
      if (g.isEmpty()) this.#readers.delete(l)
    }
    switch (rec.kind) {
      case 'value':
        for (const v of rec.values) this.#byValue.delete(rec.label, v, rec)
        break
      case 'label':
        this.#byLabel.delete(rec.label, rec)
        break
      case 'unindexed':
        this.#unindexed.delete(rec)
        break
      case 'never':
        break
    }
  }

  /**
   * Calls `fn` for every selector that reads `label` and whose filing admits `oldLabels` or
   * `newLabels` (a selector may be passed more than once across calls; callers de-duplicate).
   */
  forEachReader(
    label: string,
    oldLabels: LabelLookup,
    newLabels: LabelLookup,
    fn: (sel: SelectorRec) => void
  ): void {
    this.#readers.get(label)?.forEachAdmitted(oldLabels, newLabels, fn)
  }

  /** Calls `fn` for the selectors filed under `label` = `value` and under `label` alone. */
  forEachInBuckets(label: string, value: string, fn: (sel: SelectorRec) => void): void {
    const byValue = this.#byValue.get(label, value)
    if (byValue !== undefined) for (const sel of byValue) fn(sel)
    const byLabel = this.#byLabel.get(label)
    if (byLabel !== undefined) for (const sel of byLabel) fn(sel)
  }

  /**
   * Calls `fn` once for every selector that may match `labels`: the buckets of each label (an
   * item has one value per label, so no selector repeats) and every unindexed selector.
   */
  forEachCandidate(labels: ReadonlyMap<string, string>, fn: (sel: SelectorRec) => void): void {
    for (const [l, v] of labels) this.forEachInBuckets(l, v, fn)
    for (const sel of this.#unindexed) fn(sel)
  }
}

// The readers of one label, grouped by how each is filed.
class ReaderGroup {
  constructor(private readonly groupLabel: string) {}
  readonly #byValue = new LabelValueSets<SelectorRec>()
  readonly #valueLabels = new Map<string, number>() // filing label → reader count
  readonly #byLabel = new SetMap<string, SelectorRec>()
  readonly #labelLabels = new Map<string, number>()
  readonly #unindexed = new Set<SelectorRec>()
  // The unindexed readers again, by each constant they compare this group's label with, and those
  // that match it by substring (any value change may matter to them).
  readonly #unindexedByConst = new SetMap<string, SelectorRec>()
  readonly #unindexedSubstring = new Set<SelectorRec>()
  #size = 0

  add(rec: SelectorRec): void {
    this.#size++
    switch (rec.kind) {
      case 'value':
        for (const v of rec.values) this.#byValue.add(rec.label, v, rec)
        bump(this.#valueLabels, rec.label, 1)
        break
      case 'label':
        this.#byLabel.add(rec.label, rec)
        bump(this.#labelLabels, rec.label, 1)
        break
      case 'unindexed': {
        this.#unindexed.add(rec)
        const constants = rec.constants.get(this.groupLabel)
        if (constants === null || constants === undefined) this.#unindexedSubstring.add(rec)
        else for (const c of constants) this.#unindexedByConst.add(c, rec)
        break
      }
      case 'never':
        break
    }
  }

  delete(rec: SelectorRec): void {
    this.#size--
    switch (rec.kind) {
      case 'value':
        for (const v of rec.values) this.#byValue.delete(rec.label, v, rec)
        bump(this.#valueLabels, rec.label, -1)
        break
      case 'label':
        this.#byLabel.delete(rec.label, rec)
        bump(this.#labelLabels, rec.label, -1)
        break
      case 'unindexed': {
        this.#unindexed.delete(rec)
        const constants = rec.constants.get(this.groupLabel)
        if (constants === null || constants === undefined) this.#unindexedSubstring.delete(rec)
        else for (const c of constants) this.#unindexedByConst.delete(c, rec)
        break
      }
      case 'never':
        break
    }
  }

  isEmpty(): boolean {
    return this.#size === 0
  }

  forEachAdmitted(
    oldLabels: LabelLookup,
    newLabels: LabelLookup,
    fn: (sel: SelectorRec) => void
  ): void {
    for (const fl of this.#valueLabels.keys()) {
      const ov = oldLabels.get(fl)
      const nv = newLabels.get(fl)
      if (ov !== undefined) for (const sel of this.#byValue.get(fl, ov) ?? []) fn(sel)
      if (nv !== undefined && nv !== ov) for (const sel of this.#byValue.get(fl, nv) ?? []) fn(sel)
    }
    for (const fl of this.#labelLabels.keys()) {
      if (oldLabels.get(fl) !== undefined || newLabels.get(fl) !== undefined)
        for (const sel of this.#byLabel.get(fl) ?? []) fn(sel)
    }
    // Unindexed readers: all of them when the label appears or disappears; otherwise only those
    // comparing it with the old or the new value, or matching it by substring (see mayChange).
    const ov = oldLabels.get(this.groupLabel)
    const nv = newLabels.get(this.groupLabel)
    if (ov === undefined || nv === undefined) {
      if (ov !== nv) for (const sel of this.#unindexed) fn(sel)
      return
    }
    for (const sel of this.#unindexedSubstring) fn(sel)
    for (const sel of this.#unindexedByConst.get(ov) ?? []) fn(sel)
    if (nv !== ov) for (const sel of this.#unindexedByConst.get(nv) ?? []) fn(sel)
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by
  if (n === 0) counts.delete(key)
  else counts.set(key, n)
}

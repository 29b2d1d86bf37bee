/**
 * The selector side of the label index: selectors filed by the restriction chosen for them
 * (`index-choice.ts`), plus every selector filed under each label it reads.
 *
 * ```
 *  byValue[label][value] ─ selectors requiring label ∈ {values}
 *  byLabel[label]        ─ selectors requiring only has(label)
 *  unindexed             ─ selectors with no usable restriction (scanned on item add/delete)
 *  unindexedByRef[label] ─ the unindexed ones, by each label they read
 *  byRef[label]          ─ every selector, by each label it reads
 * ```
 */
import type { SelectorNode } from './ast.js'
import { LabelValueSets, SetMap } from './buckets.js'
import type { IndexChoice, IndexKind } from './index-choice.js'
import type { Selector } from './selector.js'

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
    stamp: 0,
  }
}

/** Selector buckets; see the file comment. */
export class SelectorBuckets {
  readonly #byValue = new LabelValueSets<SelectorRec>()
  readonly #byLabel = new SetMap<string, SelectorRec>()
  readonly #unindexed = new Set<SelectorRec>()
  readonly #unindexedByRef = new SetMap<string, SelectorRec>()
  readonly #byRef = new SetMap<string, SelectorRec>()

  /** Files `rec` (which must not be filed already). */
  add(rec: SelectorRec): void {
    for (const l of rec.refs) this.#byRef.add(l, rec)
    switch (rec.kind) {
      case 'value':
        for (const v of rec.values) this.#byValue.add(rec.label, v, rec)
        break
      case 'label':
        this.#byLabel.add(rec.label, rec)
        break
      case 'unindexed':
        this.#unindexed.add(rec)
        for (const l of rec.refs) this.#unindexedByRef.add(l, rec)
        break
      case 'never':
        break
    }
  }

  /** Unfiles `rec`. */
  delete(rec: SelectorRec): void {
    for (const l of rec.refs) this.#byRef.delete(l, rec)
    switch (rec.kind) {
      case 'value':
        for (const v of rec.values) this.#byValue.delete(rec.label, v, rec)
        break
      case 'label':
        this.#byLabel.delete(rec.label, rec)
        break
      case 'unindexed':
        this.#unindexed.delete(rec)
        for (const l of rec.refs) this.#unindexedByRef.delete(l, rec)
        break
      case 'never':
        break
    }
  }

  /** Every selector reading `label`. */
  readers(label: string): ReadonlySet<SelectorRec> | undefined {
    return this.#byRef.get(label)
  }

  /** The unindexed selectors reading `label`. */
  unindexedReaders(label: string): ReadonlySet<SelectorRec> | undefined {
    return this.#unindexedByRef.get(label)
  }

  /** Calls `fn` for the selectors filed under `label` = `value` and under `label` alone. */
  forEachInBuckets(label: string, value: string, fn: (sel: SelectorRec) => void): void {
    const byValue = this.#byValue.get(label, value)
    if (byValue !== undefined) for (const sel of byValue) fn(sel)
    const byLabel = this.#byLabel.get(label)
    if (byLabel !== undefined) for (const sel of byLabel) fn(sel)
  }

  /** How many selectors {@link forEachInBuckets} would visit. */
  bucketSize(label: string, value: string): number {
    return (this.#byValue.get(label, value)?.size ?? 0) + (this.#byLabel.get(label)?.size ?? 0)
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

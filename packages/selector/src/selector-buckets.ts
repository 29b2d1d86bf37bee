/**
 * The selector side of the label index: selectors filed by the restriction chosen for them
 * (`index-choice.ts`), plus every selector filed under each label it reads.
 *
 * ```
 *  byValue[label][value] ─ selectors requiring label ∈ {values}
 *  byLabel[label]        ─ selectors requiring only has(label)
 *  unindexed             ─ selectors with no usable restriction (scanned on item add/delete)
 *  readers[label]        ─ every selector, by each label it reads, grouped again by its filing:
 *                           .byValue[filingLabel][filingValue] / .byLabel[filingLabel] / .unindexed,
 *                           and in each of those by the constants it compares the label with
 * ```
 * `readers` answers "which selectors read label L, could match an item with these labels, and may
 * change when L moves from value a to value b" with a few lookups per filing label instead of a
 * scan of every reader of L: only readers comparing L with a or b (or by substring) are visited,
 * unless L appears or disappears.
 */
import type { LabelLookup, SelectorNode } from './ast.js'
import { labelConstants } from './ast-walk.js'
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
  /** Per read label, the constants it is compared with (null: substring matches); see ReaderSet. */
  readonly constants: ReadonlyMap<string, ReadonlySet<string> | null>
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
    stamp: 0,
  }
}

/** Selector buckets; see the file comment. */
export class SelectorBuckets {
  readonly #byValue = new LabelValueSets<SelectorRec>()
  readonly #byLabel = new SetMap<string, SelectorRec>()
  readonly #unindexed = new Set<SelectorRec>()
  readonly #readers = new Map<string, ReaderGroup>()
  // Filing label → how many selectors are filed under it (by value or by presence).
  readonly #filed = new Map<string, number>()

  /** Whether some selector is filed under `label` (its item value sets are needed). */
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

// The readers of one label, grouped by how each is filed, then by the constants they compare the
// label with (see ReaderSet).
class ReaderGroup {
  constructor(private readonly groupLabel: string) {}
  readonly #byValue = new Map<string, Map<string, ReaderSet>>() // filing label → value → readers
  readonly #byLabel = new Map<string, ReaderSet>() // filing label → readers
  readonly #unindexed = new ReaderSet()
  #size = 0

  add(rec: SelectorRec): void {
    this.#size++
    const constants = rec.constants.get(this.groupLabel)
    switch (rec.kind) {
      case 'value': {
        let values = this.#byValue.get(rec.label)
        if (values === undefined)
          this.#byValue.set(rec.label, (values = new Map<string, ReaderSet>()))
        for (const v of rec.values) {
          let set = values.get(v)
          if (set === undefined) values.set(v, (set = new ReaderSet()))
          set.add(rec, constants)
        }
        break
      }
      case 'label': {
        let set = this.#byLabel.get(rec.label)
        if (set === undefined) this.#byLabel.set(rec.label, (set = new ReaderSet()))
        set.add(rec, constants)
        break
      }
      case 'unindexed':
        this.#unindexed.add(rec, constants)
        break
      case 'never':
        break
    }
  }

  delete(rec: SelectorRec): void {
    this.#size--
    const constants = rec.constants.get(this.groupLabel)
    switch (rec.kind) {
      case 'value': {
        const values = this.#byValue.get(rec.label)
        if (values === undefined) break
        for (const v of rec.values) {
          const set = values.get(v)
          if (set === undefined) continue
          set.delete(rec, constants)
          if (set.isEmpty()) values.delete(v)
        }
        if (values.size === 0) this.#byValue.delete(rec.label)
        break
      }
      case 'label': {
        const set = this.#byLabel.get(rec.label)
        if (set === undefined) break
        set.delete(rec, constants)
        if (set.isEmpty()) this.#byLabel.delete(rec.label)
        break
      }
      case 'unindexed':
        this.#unindexed.delete(rec, constants)
        break
      case 'never':
        break
    }
  }

  isEmpty(): boolean {
    return this.#size === 0
  }

  // The group's label changed from its value in `oldLabels` to its value in `newLabels`.
  forEachAdmitted(
    oldLabels: LabelLookup,
    newLabels: LabelLookup,
    fn: (sel: SelectorRec) => void
  ): void {
    const gl = this.groupLabel
    const ov = oldLabels.get(gl)
    const nv = newLabels.get(gl)
    for (const [fl, values] of this.#byValue) {
      const fo = fl === gl ? ov : oldLabels.get(fl)
      const fnew = fl === gl ? nv : newLabels.get(fl)
      if (fo !== undefined) values.get(fo)?.forEachAffected(ov, nv, fn)
      if (fnew !== undefined && fnew !== fo) values.get(fnew)?.forEachAffected(ov, nv, fn)
    }
    for (const [fl, set] of this.#byLabel) {
      if (oldLabels.get(fl) !== undefined || newLabels.get(fl) !== undefined)
        set.forEachAffected(ov, nv, fn)
    }
    this.#unindexed.forEachAffected(ov, nv, fn)
  }
}

/**
 * Selectors reading one label L (and filed in one bucket), keyed again by the constants they
 * compare L with (`labelConstants`). When L keeps its presence and moves between two values a
 * selector never compares L with, every leaf on L keeps its result: such readers are not visited.
 * Readers matching L by substring (`contains`, `starts with`, `ends with`) are visited on every
 * change of L; every reader is visited when L appears or disappears.
 */
class ReaderSet {
  readonly #all = new Set<SelectorRec>()
  readonly #bySubstring = new Set<SelectorRec>()
  readonly #byConstant = new SetMap<string, SelectorRec>()

  add(rec: SelectorRec, constants: ReadonlySet<string> | null | undefined): void {
    this.#all.add(rec)
    if (constants === null || constants === undefined) this.#bySubstring.add(rec)
    else for (const c of constants) this.#byConstant.add(c, rec)
  }

  delete(rec: SelectorRec, constants: ReadonlySet<string> | null | undefined): void {
    this.#all.delete(rec)
    if (constants === null || constants === undefined) this.#bySubstring.delete(rec)
    else for (const c of constants) this.#byConstant.delete(c, rec)
  }

  isEmpty(): boolean {
    return this.#all.size === 0
  }

  // L changed from `ov` to `nv` (which differ; undefined: absent).
  forEachAffected(
    ov: string | undefined,
    nv: string | undefined,
    fn: (sel: SelectorRec) => void
  ): void {
    if (ov === undefined || nv === undefined) {
      for (const sel of this.#all) fn(sel)
      return
    }
    for (const sel of this.#bySubstring) fn(sel)
    const a = this.#byConstant.get(ov)
    if (a !== undefined) for (const sel of a) fn(sel)
    const b = this.#byConstant.get(nv)
    if (b !== undefined) for (const sel of b) fn(sel)
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by
  if (n === 0) counts.delete(key)
  else counts.set(key, n)
}

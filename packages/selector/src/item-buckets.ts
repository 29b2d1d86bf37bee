/**
 * The item side of the label index's buckets: `label → value → Set<item>` for the labels some
 * selector is filed under (by value or by presence), only `label → value → count` for the others,
 * and for every label how many items hold it.
 *
 * Overview: the index needs the item sets of a label only to list the candidates of selectors
 * filed under it; for every other label it needs just the counts (to choose where a new selector
 * is filed). Labels such as `version` or `pod-template-hash`, which no selector is filed under,
 * would otherwise keep one set per value (100,000 one-item sets for a hash label) that every
 * change of the label patches. Nor is a set of the items holding each label kept for common
 * labels (it cost an agent about 180 bytes per endpoint: one set entry per label it holds).
 *
 * Implementation: a label's value buckets are *materialised* (sets) when a selector is filed under
 * it at the time an item first brings it, and *counted* otherwise. Filing a selector under a
 * counted label materialises it ({@link ItemBuckets.materialise}) from the label's holders while
 * at most {@link HOLDERS_LIMIT} items hold it (the many rare labels: cheap to keep, costly to scan
 * for), else with one scan of the items (the few common labels: costly to keep, few scans). The first item change
 * on a materialised label no selector is filed under any more turns it back into counts. Counts
 * and set sizes agree, so the filing choice is the same either way. A presence filing's
 * candidates are the union of the label's value sets.
 */
import { LabelValueSets } from './buckets.js'
import type { ItemRec } from './item-labels.js'

/** Most items a label's holders set is kept for (past it, materialising scans the items). */
export const HOLDERS_LIMIT = 1024

/** Item buckets; see the file comment. */
export class ItemBuckets {
  /** Label → how many items hold it. */
  readonly #total = new Map<string, number>()
  /** The items holding each label held by at most HOLDERS_LIMIT items (so far). */
  readonly #holders = new Map<string, Set<ItemRec>>()
  readonly #sets = new LabelValueSets<ItemRec>()
  readonly #counts = new Map<string, Map<string, number>>()
  readonly #isFiled: (label: string) => boolean
  readonly #allItems: () => Iterable<ItemRec>

  /**
   * `isFiled(label)`: whether some selector is filed under `label` (its sets must be kept);
   * `allItems()`: every item, scanned when a counted label is materialised.
   */
  constructor(isFiled: (label: string) => boolean, allItems: () => Iterable<ItemRec>) {
    this.#isFiled = isFiled
    this.#allItems = allItems
  }

  /** Files `item` under `label` = `value` (the item must not hold `label` yet). */
  add(label: string, value: string, item: ItemRec): void {
    const n = this.#total.get(label) ?? 0
    if (n === 0) {
      if (!this.#isFiled(label)) this.#counts.set(label, new Map())
      this.#holders.set(label, new Set())
    }
    this.#total.set(label, n + 1)
    const holders = this.#holders.get(label)
    if (holders !== undefined) {
      // Once past the limit the label stays without holders until no item holds it.
      if (n + 1 > HOLDERS_LIMIT) this.#holders.delete(label)
      else holders.add(item)
    }
    this.#addValue(label, value, item)
  }

  /** Unfiles `item` from `label` = `value` (where it must be filed). */
  delete(label: string, value: string, item: ItemRec): void {
    if (!this.#deleteValue(label, value, item)) return
    this.#holders.get(label)?.delete(item)
    const n = (this.#total.get(label) ?? 1) - 1
    if (n > 0) {
      this.#total.set(label, n)
      return
    }
    this.#total.delete(label)
    this.#holders.delete(label)
    this.#counts.delete(label)
  }

  /**
   * Moves `item` from `label` = `oldValue` to `label` = `newValue` (undefined: absent); first
   * turns the label's sets into counts when no selector is filed under it any more.
   */
  change(
    label: string,
    oldValue: string | undefined,
    newValue: string | undefined,
    item: ItemRec
  ): void {
    if (oldValue === newValue) return
    if (oldValue === undefined) return this.add(label, newValue!, item)
    if (newValue === undefined) return this.delete(label, oldValue, item)
    if (!this.#counts.has(label) && !this.#isFiled(label)) this.#countOnly(label)
    this.#deleteValue(label, oldValue, item)
    this.#addValue(label, newValue, item)
  }

  /** How many items have `label` = `value`. */
  count(label: string, value: string): number {
    const counts = this.#counts.get(label)
    if (counts !== undefined) return counts.get(value) ?? 0
    return this.#sets.get(label, value)?.size ?? 0
  }

  /** How many items have `label`. */
  countForLabel(label: string): number {
    return this.#total.get(label) ?? 0
  }

  /**
   * Makes the value sets of `label` available (when it was counted only: from its holders, or with
   * one scan of the items for a common label).
   */
  materialise(label: string): void {
    if (!this.#counts.delete(label)) return
    for (const item of this.#holders.get(label) ?? this.#allItems()) {
      const v = item.labels.get(label)
      if (v !== undefined) this.#sets.add(label, v, item)
    }
  }

  /** The items with `label` = `value`; `label` must be materialised. */
  get(label: string, value: string): ReadonlySet<ItemRec> | undefined {
    return this.#sets.get(label, value)
  }

  /** Every item holding `label` (whatever its value); `label` must be materialised. */
  *holders(label: string): Generator<ItemRec> {
    for (const set of this.#sets.byValue(label)?.values() ?? []) yield* set
  }

  #addValue(label: string, value: string, item: ItemRec): void {
    const counts = this.#counts.get(label)
    if (counts === undefined) this.#sets.add(label, value, item)
    else counts.set(value, (counts.get(value) ?? 0) + 1)
  }

  // Keeps the label's (possibly empty) counts map: the caller removes it with the last holder.
  // False when `item` was not filed there.
  #deleteValue(label: string, value: string, item: ItemRec): boolean {
    const counts = this.#counts.get(label)
    if (counts === undefined) {
      if (this.#sets.get(label, value)?.has(item) !== true) return false
      this.#sets.delete(label, value, item)
      return true
    }
    const n = counts.get(value)
    if (n === undefined) return false
    if (n > 1) counts.set(value, n - 1)
    else counts.delete(value)
    return true
  }

  /**
   * Turns the sets of every label no selector is filed under into counts, as the first change of
   * such a label would (after a bulk load with selectors filed first, whose labels were then
   * materialised). Returns how many labels it turned.
   */
  compact(): number {
    let n = 0
    for (const label of [...this.#sets.labels()]) {
      if (this.#counts.has(label) || this.#isFiled(label)) continue
      this.#countOnly(label)
      n++
    }
    return n
  }

  #countOnly(label: string): void {
    const counts = new Map<string, number>()
    for (const [v, set] of this.#sets.byValue(label) ?? []) counts.set(v, set.size)
    this.#sets.deleteLabel(label)
    this.#counts.set(label, counts)
  }
}

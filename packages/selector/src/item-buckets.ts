/**
 * The item side of the label index's buckets: `label → value → Set<item>` for the labels some
 * selector is filed under, and only `label → value → count` for the others.
 *
 * Overview: the index needs the item sets of a label only to list the candidates of selectors
 * filed under it; for every other label it needs just the counts (to choose where a new selector
 * is filed). Labels such as `version` or `pod-template-hash`, which no selector is filed under,
 * would otherwise keep sets of tens of thousands of items that every change of the label patches.
 *
 * Implementation: a label starts *materialised* (sets) when an item first brings it. The first
 * item change on a label that no selector is filed under turns its sets into counts
 * ({@link ItemBuckets.change}); filing a selector under a counted label rebuilds its sets with one
 * scan of the items ({@link ItemBuckets.materialise}). Counts and set sizes agree, so the filing
 * choice is the same either way.
 *
 * Why not count-only until a selector needs the label: the common build order (items first, then
 * selectors) would then scan every item once per filing label. A caller that has finished a bulk
 * load can still drop the sets it does not need with {@link ItemBuckets.compact} (the agent's
 * policy calc does, once its snapshot is in: the sets of `pod-template-hash` and the like held
 * most of its memory per endpoint).
 */
import { LabelValueSets } from './buckets.js'
import type { ItemRec } from './item-labels.js'

/** Item buckets; see the file comment. */
export class ItemBuckets {
  readonly #sets = new LabelValueSets<ItemRec>()
  readonly #counts = new Map<string, Map<string, number>>()
  readonly #isFiled: (label: string) => boolean

  /** `isFiled(label)`: whether some selector is filed under `label` (its sets must be kept). */
  constructor(isFiled: (label: string) => boolean) {
    this.#isFiled = isFiled
  }

  /** Files `item` under `label` = `value`. */
  add(label: string, value: string, item: ItemRec): void {
    const counts = this.#counts.get(label)
    if (counts === undefined) this.#sets.add(label, value, item)
    else counts.set(value, (counts.get(value) ?? 0) + 1)
  }

  /** Unfiles `item` from `label` = `value` (where it must be filed). */
  delete(label: string, value: string, item: ItemRec): void {
    const counts = this.#counts.get(label)
    if (counts === undefined) {
      this.#sets.delete(label, value, item)
      return
    }
    const n = (counts.get(value) ?? 1) - 1
    if (n > 0) counts.set(value, n)
    else {
      counts.delete(value)
      if (counts.size === 0) this.#counts.delete(label)
    }
  }

  /**
   * Moves `item` from `label` = `oldValue` to `label` = `newValue` (undefined: absent); first
   * turns the label's sets into counts when no selector is filed under it.
   */
  change(
    label: string,
    oldValue: string | undefined,
    newValue: string | undefined,
    item: ItemRec
  ): void {
    if (!this.#counts.has(label) && !this.#isFiled(label)) this.#countOnly(label)
    if (oldValue !== undefined) this.delete(label, oldValue, item)
    if (newValue !== undefined) this.add(label, newValue, item)
  }

  /** How many items have `label` = `value`. */
  count(label: string, value: string): number {
    const counts = this.#counts.get(label)
    if (counts !== undefined) return counts.get(value) ?? 0
    return this.#sets.get(label, value)?.size ?? 0
  }

  /** How many items have `label` (O(values of the label)). */
  countForLabel(label: string): number {
    const counts = this.#counts.get(label)
    if (counts === undefined) return this.#sets.countForLabel(label)
    let n = 0
    for (const c of counts.values()) n += c
    return n
  }

  /** Makes the sets of `label` available, scanning `items` if it was counted only. */
  materialise(label: string, items: Iterable<ItemRec>): void {
    if (!this.#counts.delete(label)) return
    for (const item of items) {
      const v = item.labels.get(label)
      if (v !== undefined) this.#sets.add(label, v, item)
    }
  }

  /** The items with `label` = `value`; `label` must be materialised. */
  get(label: string, value: string): ReadonlySet<ItemRec> | undefined {
    return this.#sets.get(label, value)
  }

  /** Every value bucket of `label`; `label` must be materialised. */
  byValue(label: string): ReadonlyMap<string, ReadonlySet<ItemRec>> | undefined {
    return this.#sets.byValue(label)
  }

  /**
   * Turns the sets of every label no selector is filed under into counts, as the first change of
   * such a label would (after a bulk load: a snapshot's items are all adds). Returns how many
   * labels it turned.
   */
  compact(): number {
    let n = 0
    for (const label of [...this.#sets.labels()]) {
      if (this.#isFiled(label)) continue
      this.#countOnly(label)
      n++
    }
    return n
  }

  #countOnly(label: string): void {
    const byValue = this.#sets.byValue(label)
    if (byValue === undefined) return
    const counts = new Map<string, number>()
    for (const [v, set] of byValue) counts.set(v, set.size)
    this.#sets.deleteLabel(label)
    this.#counts.set(label, counts)
  }
}

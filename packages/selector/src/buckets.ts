/**
 * Small nested-map helpers for the label index: `key → Set<member>` and
 * `label → value → Set<member>`, removing empty sets and maps so that memory follows the live data.
 */

/** `key → Set<T>`; empty sets are removed. */
export class SetMap<K, T> {
  readonly #map = new Map<K, Set<T>>()

  /** The members under `key` (undefined when none). */
  get(key: K): ReadonlySet<T> | undefined {
    return this.#map.get(key)
  }

  add(key: K, member: T): void {
    let set = this.#map.get(key)
    if (set === undefined) this.#map.set(key, (set = new Set()))
    set.add(member)
  }

  delete(key: K, member: T): void {
    const set = this.#map.get(key)
    if (set === undefined) return
    set.delete(member)
    if (set.size === 0) this.#map.delete(key)
  }
}

/** `label → value → Set<T>` (how many items hold a label is counted by its owner, item-buckets.ts). */
export class LabelValueSets<T> {
  readonly #byLabel = new Map<string, Map<string, Set<T>>>()

  /** The members filed under `label` = `value`. */
  get(label: string, value: string): ReadonlySet<T> | undefined {
    return this.#byLabel.get(label)?.get(value)
  }

  /** Every value bucket of `label` (their member sets are disjoint when each member has one value). */
  byValue(label: string): ReadonlyMap<string, ReadonlySet<T>> | undefined {
    return this.#byLabel.get(label)
  }

  /** The labels that hold at least one bucket. */
  labels(): IterableIterator<string> {
    return this.#byLabel.keys()
  }

  /** Drops every bucket of `label`. */
  deleteLabel(label: string): void {
    this.#byLabel.delete(label)
  }

  add(label: string, value: string, member: T): void {
    let values = this.#byLabel.get(label)
    if (values === undefined) this.#byLabel.set(label, (values = new Map<string, Set<T>>()))
    let set = values.get(value)
    if (set === undefined) values.set(value, (set = new Set()))
    set.add(member)
  }

  delete(label: string, value: string, member: T): void {
    const values = this.#byLabel.get(label)
    const set = values?.get(value)
    if (values === undefined || set === undefined || !set.delete(member)) return
    if (set.size === 0) values.delete(value)
    if (values.size === 0) this.#byLabel.delete(label)
  }
}

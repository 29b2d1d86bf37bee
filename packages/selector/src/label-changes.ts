/**
 * Applying a change of an item's effective labels: the item buckets are patched and the selectors
 * the change can affect are evaluated on the old and the new labels, reporting the transitions.
 *
 * Overview: only selectors reading a changed label can change, and only those whose filing admits
 * the old or the new labels can match either; of those, only readers comparing the label with its
 * old or new value (see `ReaderSet` in selector-buckets.ts). Each selector is visited at most once
 * per change (a stamp). An own-label change patches the item's label maps in place and reads the
 * old side through one reused {@link PreviousLabels} view, so a change allocates almost nothing.
 */
import type { LabelLookup } from './ast.js'
import type { ItemBuckets } from './item-buckets.js'
import {
  changedKeys,
  effectiveLabels,
  NO_LABELS,
  PreviousLabels,
  type ItemRec,
} from './item-labels.js'
import { isLabelMap, type Labels } from './labels.js'
import type { SelectorBuckets, SelectorRec } from './selector-buckets.js'

/** Receivers of match transitions; both are called synchronously from the updating method. */
export interface LabelIndexCallbacks {
  /** `selectorId` now matches `itemId` (it did not before). */
  onMatchStarted(selectorId: string, itemId: string): void
  /** `selectorId` no longer matches `itemId` (it did before). */
  onMatchStopped(selectorId: string, itemId: string): void
}

/** Applies item label changes for one {@link LabelIndex}; see the file comment. */
export class LabelChanges {
  /** Label changes applied (at least one effective label changed). */
  count = 0
  /** Selectors evaluated (old and new labels) for those changes. */
  evaluations = 0
  readonly #buckets: SelectorBuckets
  readonly #items: ItemBuckets
  readonly #cb: LabelIndexCallbacks
  #stamp = 0
  // The old-labels view of the change being applied by relabelKeys (reused; see PreviousLabels).
  readonly #previous = new PreviousLabels()
  // The change being reported by #apply, read by #visit (one closure for the object's life).
  readonly #change: {
    stamp: number
    item: ItemRec | undefined
    oldLabels: LabelLookup
    newLabels: LabelLookup
  } = { stamp: 0, item: undefined, oldLabels: NO_LABELS, newLabels: NO_LABELS }
  readonly #visit = (sel: SelectorRec): void => {
    const c = this.#change
    if (sel.stamp === c.stamp || c.item === undefined) return
    sel.stamp = c.stamp
    // No check of the filing values first: the filing restriction is a necessary condition of the
    // selector, and evaluating it directly reads less memory.
    this.evaluations++
    const was = sel.root.evaluate(c.oldLabels)
    const now = sel.root.evaluate(c.newLabels)
    if (was === now) return
    if (now) this.#cb.onMatchStarted(sel.id, c.item.id)
    else this.#cb.onMatchStopped(sel.id, c.item.id)
  }

  /** Works on the index's selector buckets and item buckets, reporting to `cb`. */
  constructor(buckets: SelectorBuckets, items: ItemBuckets, cb: LabelIndexCallbacks) {
    this.#buckets = buckets
    this.#items = items
    this.#cb = cb
  }

  /** Recomputes the effective labels of `item` from scratch (parents changed) and reports. */
  relabel(item: ItemRec): void {
    const oldLabels = item.labels
    const newLabels = effectiveLabels(item)
    const changed = changedKeys(oldLabels, newLabels)
    item.labels = newLabels
    if (changed.length > 0) this.#apply(item, oldLabels, newLabels, changed)
  }

  /**
   * As {@link relabel} when only the own values of `keys` may have changed (their new values are
   * read from `labels`, absent: removed): patches the own and the effective label maps in place.
   */
  relabelKeys(item: ItemRec, keys: readonly string[], labels: Labels): void {
    const effective = item.labels
    const own = item.own
    const isMap = isLabelMap(labels)
    const prev = this.#previous
    prev.reset(effective)
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!
      const old = effective.get(k)
      const v = isMap ? labels.get(k) : Object.hasOwn(labels, k) ? labels[k] : undefined
      if (v === undefined) own.delete(k)
      else own.set(k, v)
      const nv = v ?? item.inherited.get(k)
      if (effective !== own) {
        if (nv === undefined) effective.delete(k)
        else effective.set(k, nv)
      }
      if (nv !== old) prev.push(k, old)
    }
    if (prev.keys.length > 0) this.#apply(item, prev, effective, prev.keys)
    prev.clear()
  }

  #apply(
    item: ItemRec,
    oldLabels: LabelLookup,
    newLabels: ReadonlyMap<string, string>,
    changed: readonly string[]
  ): void {
    for (const l of changed) this.#items.change(l, oldLabels.get(l), newLabels.get(l), item)
    this.count++
    const v = this.#change
    v.stamp = ++this.#stamp
    v.item = item
    v.oldLabels = oldLabels
    v.newLabels = newLabels
    for (const l of changed) this.#buckets.forEachReader(l, oldLabels, newLabels, this.#visit)
    // Do not retain the item or its labels until the next change.
    v.item = undefined
    v.oldLabels = v.newLabels = NO_LABELS
  }
}

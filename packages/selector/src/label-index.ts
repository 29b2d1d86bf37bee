/**
 * LabelIndex: which selectors match which labelled items, maintained incrementally.
 *
 * Overview: the index is told about selectors, items (endpoints, network sets…) and parents
 * (profiles: namespace and service-account labels). An item's *effective* labels are its own labels,
 * then the labels of its parents in the order listed: **the item's own value wins, then the first
 * listed parent that has the label** (Felix's label inheritance). The index calls
 * `onMatchStarted(selectorId, itemId)` / `onMatchStopped(selectorId, itemId)` exactly when a pair
 * starts or stops matching; it never repeats an event.
 *
 * Implementation:
 * ```
 *  selector ──labelRestrictions()──► best restriction ─┬─ label ∈ {v1,v2}  → byValue[label][v]
 *                                                      ├─ has(label) only  → byLabel[label]
 *                                                      ├─ none             → unindexed
 *                                                      └─ contradictory    → never matches
 *  selector ──labelNames()──► readers[label] (grouped again by the filing above)
 *  item ──effective labels──► itemsByValue: [label][value] (sets for filing labels, else
 *                                            counts), and how many items hold each label
 * ```
 * - A new or changed selector evaluates only its candidate items: the items filed under its
 *   (label, value)s, or every value set of its label, or all items when it is unindexed. A batch of
 *   new selectors ({@link LabelIndex.updateSelectors}) matches its unindexed ones in one pass over
 *   the items (`candidates.ts`).
 * - A new or deleted item evaluates only the selectors in the buckets of its labels plus the
 *   unindexed ones.
 * - An item label change with changed keys D can only change selectors that read a key in D. The
 *   reader group of each key in D yields, with one lookup per filing label, the readers whose
 *   filing admits the old or the new labels, and of those only the ones comparing the key with its
 *   old or new value (or by substring; all of them when the key appears or disappears): moving
 *   `version` from v1 to v2 cannot affect `version != "v3"`, which is not visited. Each visited
 *   selector is evaluated on the old and the new labels. `all()` reads nothing and is never
 *   touched by a label change (`label-changes.ts`).
 * - Item buckets keep per-value item sets only for the labels some selector is filed under (by
 *   value or presence); the other labels keep per-value counts (a label's first filing
 *   materialises its sets with one scan of the items; see `item-buckets.ts`). Changing `version`
 *   touches no set.
 * - Own-label changes patch the item's label maps in place; the old side is read through a
 *   small view of the previous values. Unchanged updates allocate nothing and report nothing.
 * - Updating an item with unchanged labels and parents allocates nothing and reports nothing.
 * - A parent change recomputes the effective labels of that parent's items only (each item
 *   caches its merged inherited labels).
 * - No (selector, item) match state is stored: the previous result is the selector evaluated on the
 *   previous labels, so memory is O(selectors + items × labels) even when an `all()` selector
 *   matches every item. The match set of a selector is computed on demand ({@link matchingItems}).
 *
 * The restriction used for a selector is chosen when the selector is added: the value restriction
 * whose buckets currently hold the fewest items (ties: fewer values, then label name), else the
 * presence restriction on the label held by the fewest items.
 *
 * Why not evaluate every selector on every change: with 10,000 selectors that is ~10,000 evaluations
 * per endpoint label change; the reader groups reduce it to the handful that can be affected
 * (`npm run bench -- selector` measures both).
 *
 * Callbacks must not throw and must not call back into the index (that throws
 * `LabelIndexReentrancyError`).
 */
import { SetMap } from './buckets.js'
import { LabelChanges, type LabelIndexCallbacks } from './label-changes.js'
import { forEachCandidateItem, forEachNewMatch } from './candidates.js'
import { ItemBuckets } from './item-buckets.js'
import { LabelIndexReentrancyError } from './errors.js'
import { chooseIndex, type IndexKind } from './index-choice.js'
import {
  effectiveLabels,
  inheritLabels,
  diffOwnLabels,
  sameList,
  type ItemRec,
} from './item-labels.js'
import { isLabelMap, toLabelMap, type Labels } from './labels.js'
import { SelectorBuckets, selectorRec, type SelectorRec } from './selector-buckets.js'
import type { Selector } from './selector.js'

export type { LabelIndexCallbacks }

/** Counts describing the index, for logs and benchmarks. */
export interface LabelIndexStats {
  readonly selectors: number
  readonly items: number
  readonly parents: number
  /** Selectors filed under (label, value) buckets. */
  readonly valueIndexedSelectors: number
  /** Selectors filed under a label (presence only). */
  readonly labelIndexedSelectors: number
  /** Selectors with no usable restriction, scanned on item add/delete. */
  readonly unindexedSelectors: number
  /** Selectors whose restrictions contradict themselves; they match nothing. */
  readonly neverMatchingSelectors: number
  /** Item label changes applied (updates that changed at least one effective label). */
  readonly labelChanges: number
  /** Selectors evaluated (on the old and the new labels) because of those label changes. */
  readonly labelChangeEvaluations: number
}

/** `ids` itself when frozen (nobody can change it: items may share it), else a copy. */
const ownList = (ids: readonly string[]): readonly string[] =>
  Object.isFrozen(ids) ? ids : [...ids]

/** Incremental selector × item matcher; see the file comment for the inheritance rule and costs. */
export class LabelIndex {
  readonly #cb: LabelIndexCallbacks
  readonly #selectors = new Map<string, SelectorRec>()
  readonly #buckets = new SelectorBuckets()
  readonly #items = new Map<string, ItemRec>()
  readonly #itemsByValue = new ItemBuckets(
    (label) => this.#buckets.isFiled(label),
    () => this.#items.values()
  )
  readonly #parents = new Map<string, ReadonlyMap<string, string>>()
  readonly #itemsByParent = new SetMap<string, ItemRec>()
  #busy = false
  readonly #changes: LabelChanges
  // Items given one frozen label object share one own-labels map (the pods of one Deployment,
  // whose labels a caller shares); a shared map is copied before it is patched (#unshare).
  readonly #ownOf = new WeakMap<object, Map<string, string>>()
  readonly #sharedOwn = new WeakSet<Map<string, string>>()

  constructor(callbacks: LabelIndexCallbacks) {
    this.#cb = callbacks
    this.#changes = new LabelChanges(this.#buckets, this.#itemsByValue, callbacks)
  }

  /** Adds or replaces selector `id`. Replacing with an equal selector (same canonical form) is a no-op. */
  updateSelector(id: string, selector: Selector): void {
    this.#enter()
    try {
      this.#updateSelector(id, selector)
    } finally {
      this.#busy = false
    }
  }

  /**
   * Adds or replaces many selectors at once, as {@link updateSelector} one by one would (the same
   * events, in another order), but cheaper for a large batch: the selectors that no label
   * restriction can index are matched in one pass over the items instead of one pass each. For an
   * initial load. An id listed twice keeps its last selector.
   */
  updateSelectors(entries: Iterable<readonly [string, Selector]>): void {
    this.#enter()
    try {
      const batch = new Map<string, Selector>()
      for (const [id, selector] of entries) batch.set(id, selector)
      const fresh: SelectorRec[] = []
      for (const [id, selector] of batch) {
        if (this.#selectors.has(id)) this.#updateSelector(id, selector)
        else {
          const rec = this.#newRec(id, selector)
          this.#file(rec)
          fresh.push(rec)
        }
      }
      forEachNewMatch(fresh, this.#itemsByValue, this.#items, (sel, item) =>
        this.#cb.onMatchStarted(sel.id, item.id)
      )
    } finally {
      this.#busy = false
    }
  }

  #updateSelector(id: string, selector: Selector): void {
    const old = this.#selectors.get(id)
    if (old !== undefined && old.selector.equals(selector)) return
    if (old !== undefined) this.#unfileSelector(old)
    const rec = this.#newRec(id, selector)
    this.#file(rec)
    // Stops from the old selector's candidates, then starts from the new one's; each candidate
    // set holds an item at most once, so no pair is reported twice.
    if (old !== undefined) {
      this.#forEachCandidateItem(old, (item) => {
        if (old.root.evaluate(item.labels) && !rec.root.evaluate(item.labels))
          this.#cb.onMatchStopped(id, item.id)
      })
    }
    this.#forEachCandidateItem(rec, (item) => {
      if (rec.root.evaluate(item.labels) && !(old?.root.evaluate(item.labels) ?? false))
        this.#cb.onMatchStarted(id, item.id)
    })
  }

  /** Removes selector `id` (reporting every match as stopped); unknown ids are ignored. */
  deleteSelector(id: string): void {
    this.#enter()
    try {
      const old = this.#selectors.get(id)
      if (old === undefined) return
      this.#unfileSelector(old)
      this.#forEachCandidateItem(old, (item) => {
        if (old.root.evaluate(item.labels)) this.#cb.onMatchStopped(id, item.id)
      })
    } finally {
      this.#busy = false
    }
  }

  /**
   * Adds or replaces item `id` with its own `labels` and the parents it inherits from, in priority
   * order (own labels first, then the first listed parent holding the label). Parents not known yet
   * contribute nothing until {@link updateParent} names them.
   */
  updateItem(id: string, labels: Labels, parentIds: readonly string[] = []): void {
    this.#enter()
    try {
      const rec = this.#items.get(id)
      if (rec === undefined) {
        const parents = ownList(parentIds)
        const own = this.#ownLabels(labels)
        const inherited = this.#inheritedLabels(parents)
        const item: ItemRec = { id, own, parentIds: parents, inherited, labels: own }
        item.labels = effectiveLabels(item)
        this.#items.set(id, item)
        for (const p of parents) this.#itemsByParent.add(p, item)
        for (const [l, v] of item.labels) this.#itemsByValue.add(l, v, item)
        this.#buckets.forEachCandidate(item.labels, (sel) => {
          if (sel.root.evaluate(item.labels)) this.#cb.onMatchStarted(sel.id, id)
        })
        return
      }
      if (!sameList(rec.parentIds, parentIds)) {
        for (const p of rec.parentIds) this.#itemsByParent.delete(p, rec)
        rec.parentIds = ownList(parentIds)
        for (const p of rec.parentIds) this.#itemsByParent.add(p, rec)
        rec.inherited = this.#inheritedLabels(rec.parentIds)
        rec.own = this.#ownLabels(labels)
        this.#changes.relabel(rec)
        return
      }
      // Same parents: only the keys whose own value changed can change. Nothing is allocated when
      // nothing changed (the common resync case).
      const ownChanged = diffOwnLabels(rec.own, labels)
      if (ownChanged !== undefined) {
        this.#unshare(rec)
        this.#changes.relabelKeys(rec, ownChanged, labels)
      }
    } finally {
      this.#busy = false
    }
  }

  /**
   * Sets one own label of item `id` (`value` undefined: removes it), keeping its other labels and
   * its parents: the same as {@link updateItem} with only that label changed, without diffing the
   * whole label set. Returns false (and does nothing) when the item is unknown.
   */
  updateItemLabel(id: string, key: string, value: string | undefined): boolean {
    this.#enter()
    try {
      const rec = this.#items.get(id)
      if (rec === undefined) return false
      if (rec.own.get(key) === value) return true
      const one = new Map<string, string>()
      if (value !== undefined) one.set(key, value)
      this.#unshare(rec)
      this.#changes.relabelKeys(rec, [key], one)
      return true
    } finally {
      this.#busy = false
    }
  }

  /** Removes item `id` (reporting every match as stopped); unknown ids are ignored. */
  deleteItem(id: string): void {
    this.#enter()
    try {
      const rec = this.#items.get(id)
      if (rec === undefined) return
      this.#items.delete(id)
      for (const p of rec.parentIds) this.#itemsByParent.delete(p, rec)
      for (const [l, v] of rec.labels) this.#itemsByValue.delete(l, v, rec)
      this.#buckets.forEachCandidate(rec.labels, (sel) => {
        if (sel.root.evaluate(rec.labels)) this.#cb.onMatchStopped(sel.id, id)
      })
    } finally {
      this.#busy = false
    }
  }

  /** Adds or replaces the labels of parent `id`; only the items listing it are re-evaluated. */
  updateParent(id: string, labels: Labels): void {
    this.#enter()
    try {
      this.#parents.set(id, toLabelMap(labels))
      this.#reinherit(this.#itemsByParent.get(id))
    } finally {
      this.#busy = false
    }
  }

  /** Removes parent `id`; its items keep listing it but inherit nothing from it. */
  deleteParent(id: string): void {
    this.#enter()
    try {
      if (!this.#parents.delete(id)) return
      this.#reinherit(this.#itemsByParent.get(id))
    } finally {
      this.#busy = false
    }
  }

  /**
   * The effective labels of item `id` (own + inherited), or undefined when unknown. The map is
   * live (the index patches it on later updates): copy it to keep a snapshot.
   */
  itemLabels(id: string): ReadonlyMap<string, string> | undefined {
    return this.#items.get(id)?.labels
  }

  /** The ids of the items selector `id` matches now (computed from its candidates), in no order. */
  matchingItems(id: string): string[] {
    const rec = this.#selectors.get(id)
    const out: string[] = []
    if (rec === undefined) return out
    this.#forEachCandidateItem(rec, (item) => {
      if (rec.root.evaluate(item.labels)) out.push(item.id)
    })
    return out
  }

  /** The ids of the selectors matching item `id` now, in no order. */
  matchingSelectors(id: string): string[] {
    const item = this.#items.get(id)
    const out: string[] = []
    if (item === undefined) return out
    this.#buckets.forEachCandidate(item.labels, (sel) => {
      if (sel.root.evaluate(item.labels)) out.push(sel.id)
    })
    return out
  }

  /** Sizes of the index. */
  stats(): LabelIndexStats {
    const byKind: Record<IndexKind, number> = { value: 0, label: 0, unindexed: 0, never: 0 }
    for (const rec of this.#selectors.values()) byKind[rec.kind]++
    return {
      selectors: this.#selectors.size,
      items: this.#items.size,
      parents: this.#parents.size,
      valueIndexedSelectors: byKind.value,
      labelIndexedSelectors: byKind.label,
      unindexedSelectors: byKind.unindexed,
      neverMatchingSelectors: byKind.never,
      labelChanges: this.#changes.count,
      labelChangeEvaluations: this.#changes.evaluations,
    }
  }

  // Callers reset #busy in a finally block.
  #enter(): void {
    if (this.#busy) throw new LabelIndexReentrancyError()
    this.#busy = true
  }

  // The record of a selector filed by the current item counts (see index-choice.ts).
  #newRec(id: string, selector: Selector): SelectorRec {
    const choice = chooseIndex(
      selector.labelRestrictions(),
      (l, v) => this.#itemsByValue.count(l, v),
      (l) => this.#itemsByValue.countForLabel(l)
    )
    return selectorRec(id, selector, choice)
  }

  #file(rec: SelectorRec): void {
    this.#selectors.set(rec.id, rec)
    if (rec.kind === 'value' || rec.kind === 'label') this.#itemsByValue.materialise(rec.label)
    this.#buckets.add(rec)
  }

  /**
   * Frees the item sets of labels no selector is filed under, keeping their counts (see
   * item-buckets.ts): for after a bulk load of items. Filing a selector under such a label later
   * rebuilds its sets with one scan of the items. Returns how many labels it compacted.
   */
  compact(): number {
    return this.#itemsByValue.compact()
  }

  /** The own-labels map for `labels`: shared when `labels` is a frozen object, else a copy. */
  #ownLabels(labels: Labels): Map<string, string> {
    if (isLabelMap(labels) || !Object.isFrozen(labels)) return toLabelMap(labels)
    let own = this.#ownOf.get(labels)
    if (own === undefined) {
      own = toLabelMap(labels)
      this.#ownOf.set(labels, own)
      this.#sharedOwn.add(own)
    }
    return own
  }

  /** Gives `item` an own-labels map of its own before it is patched in place. */
  #unshare(item: ItemRec): void {
    if (!this.#sharedOwn.has(item.own)) return
    const copy = new Map(item.own)
    if (item.labels === item.own) item.labels = copy
    item.own = copy
  }

  #inheritedLabels(parentIds: readonly string[]): ReadonlyMap<string, string> {
    return inheritLabels(parentIds.map((p) => this.#parents.get(p)))
  }

  #reinherit(items: Iterable<ItemRec> | undefined): void {
    for (const item of items ?? []) {
      item.inherited = this.#inheritedLabels(item.parentIds)
      this.#changes.relabel(item)
    }
  }

  #unfileSelector(rec: SelectorRec): void {
    this.#selectors.delete(rec.id)
    this.#buckets.delete(rec)
  }

  // Every item that `sel` may match; each at most once.
  #forEachCandidateItem(sel: SelectorRec, fn: (item: ItemRec) => void): void {
    forEachCandidateItem(sel, this.#itemsByValue, this.#items, fn)
  }
}

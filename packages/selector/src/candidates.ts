/**
 * The candidate items of a selector (the only items it can match, from its filing) and the bulk
 * pass that reports the matches of many new selectors at once.
 *
 * Overview: a selector filed by value can match only the items in its value buckets, one filed by
 * presence only the items holding its label (its value sets); an unindexed selector must look at
 * every item. When many selectors arrive together ({@link forEachNewMatch}), the unindexed ones
 * are evaluated item by item: each item's labels are read once, while they are in cache, for all
 * of them, instead of once per selector (a sweep of 100,000 items per unindexed selector is
 * mostly cache misses). `all()` and `global()` match every item without evaluation.
 */
import type { ItemBuckets } from './item-buckets.js'
import type { ItemRec } from './item-labels.js'
import type { SelectorRec } from './selector-buckets.js'

/** Calls `fn` once for every item `sel` may match (its filing's candidates). */
export function forEachCandidateItem(
  sel: SelectorRec,
  buckets: ItemBuckets,
  items: ReadonlyMap<string, ItemRec>,
  fn: (item: ItemRec) => void
): void {
  switch (sel.kind) {
    case 'value':
      for (const v of sel.values) {
        const set = buckets.get(sel.label, v)
        if (set !== undefined) for (const item of set) fn(item)
      }
      break
    case 'label':
      for (const item of buckets.holders(sel.label) ?? []) fn(item)
      break
    case 'unindexed':
      for (const item of items.values()) fn(item)
      break
    case 'never':
      break
  }
}

/**
 * Calls `fn(sel, item)` for every item each of the new selectors `sels` matches now: filed
 * selectors through their candidates, the unindexed ones in one pass over `items`.
 */
export function forEachNewMatch(
  sels: readonly SelectorRec[],
  buckets: ItemBuckets,
  items: ReadonlyMap<string, ItemRec>,
  fn: (sel: SelectorRec, item: ItemRec) => void
): void {
  const wide: SelectorRec[] = []
  for (const sel of sels) {
    if (sel.kind === 'unindexed') {
      wide.push(sel)
      continue
    }
    const root = sel.root
    forEachCandidateItem(sel, buckets, items, (item) => {
      if (root.evaluate(item.labels)) fn(sel, item)
    })
  }
  if (wide.length === 0) return
  // Selectors that match everything (`all()`, `global()`) skip evaluation.
  const always = wide.filter((s) => s.root.kind === 'all' || s.root.kind === 'global')
  const evaluated = wide.filter((s) => s.root.kind !== 'all' && s.root.kind !== 'global')
  for (const item of items.values()) {
    const labels = item.labels
    for (let i = 0; i < always.length; i++) fn(always[i]!, item)
    for (let i = 0; i < evaluated.length; i++) {
      const sel = evaluated[i]!
      if (sel.root.evaluate(labels)) fn(sel, item)
    }
  }
}

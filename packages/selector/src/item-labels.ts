/**
 * The item side of the label index: an item's own labels, the labels inherited from its parents and
 * the effective labels selectors see. Own labels win; among parents, the first listed one holding a
 * label wins (Felix's profile inheritance).
 */
import { isLabelMap, type Labels } from './labels.js'

/** An item as the index keeps it. */
export interface ItemRec {
  readonly id: string
  /**
   * The item's own labels; owned by the index and patched in place (a map shared by items given
   * one frozen label object is copied first).
   */
  own: Map<string, string>
  parentIds: readonly string[]
  /** Labels from the parents (the first listed parent wins), cached until a parent changes. */
  inherited: ReadonlyMap<string, string>
  /** Effective labels: own labels over inherited ones; `own` itself when nothing is inherited. */
  labels: Map<string, string>
}

/** The shared empty label map. */
export const NO_LABELS: ReadonlyMap<string, string> = new Map()

/** Merges parents' labels in listed order: the first parent holding a label wins. */
export function inheritLabels(
  parents: Iterable<ReadonlyMap<string, string> | undefined>
): ReadonlyMap<string, string> {
  let out: Map<string, string> | undefined
  for (const parent of parents) {
    if (parent === undefined || parent.size === 0) continue
    out ??= new Map()
    for (const [l, v] of parent) if (!out.has(l)) out.set(l, v)
  }
  return out ?? NO_LABELS
}

/** The effective labels of `item`: own labels over inherited ones (no copy without parents' labels). */
export function effectiveLabels(item: ItemRec): Map<string, string> {
  if (item.inherited.size === 0) return item.own
  const out = new Map(item.inherited)
  for (const [l, v] of item.own) out.set(l, v)
  return out
}

/** The keys whose values differ between `a` and `b` (added, removed or changed). */
export function changedKeys(
  a: ReadonlyMap<string, string>,
  b: ReadonlyMap<string, string>
): string[] {
  const changed: string[] = []
  for (const [l, v] of a) if (b.get(l) !== v) changed.push(l)
  for (const l of b.keys()) if (!a.has(l)) changed.push(l)
  return changed
}

/** True when both lists hold the same ids in the same order. */
export function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * The keys whose value differs between `own` and `labels` (map or record), or undefined when they
 * hold the same entries; allocates nothing in that case.
 */
export function diffOwnLabels(
  own: ReadonlyMap<string, string>,
  labels: Labels
): string[] | undefined {
  let out: string[] | undefined
  let n = 0
  const isMap = isLabelMap(labels)
  if (isMap) {
    for (const [l, v] of labels) {
      n++
      if (own.get(l) !== v) (out ??= []).push(l)
    }
  } else {
    for (const l in labels) {
      if (!Object.hasOwn(labels, l)) continue
      n++
      if (own.get(l) !== labels[l]) (out ??= []).push(l)
    }
  }
  if (out === undefined && n === own.size) return undefined
  // Keys only `own` has (removed labels).
  for (const l of own.keys()) {
    if (!(isMap ? labels.has(l) : Object.hasOwn(labels, l))) (out ??= []).push(l)
  }
  return out
}

/**
 * A label lookup showing `base` as it was before the values of some keys changed: `oldValues[i]`
 * is the previous value of `keys[i]` (undefined: absent). Lets the index evaluate selectors on the
 * old labels after patching the map in place, without copying it. The index keeps one instance and
 * refills it for every change ({@link reset}, {@link push}, {@link clear}), so a change allocates
 * no view.
 */
export class PreviousLabels {
  #base: ReadonlyMap<string, string> = NO_LABELS
  /** The changed keys, in the order pushed (a fresh array per {@link reset}). */
  keys: string[] = []
  #oldValues: (string | undefined)[] = []

  /**
   * Starts a new view over `base` with no changed keys. New arrays are cheaper than truncating
   * (setting `length` is a runtime call) and nothing else holds the old ones.
   */
  reset(base: ReadonlyMap<string, string>): void {
    this.#base = base
    if (this.keys.length > 0) {
      this.keys = []
      this.#oldValues = []
    }
  }

  /** Records that `key` held `oldValue` (undefined: absent) before the change. */
  push(key: string, oldValue: string | undefined): void {
    this.keys.push(key)
    this.#oldValues.push(oldValue)
  }

  /** Forgets the base map and the keys (so that nothing is retained between changes). */
  clear(): void {
    this.reset(NO_LABELS)
  }

  get(key: string): string | undefined {
    const keys = this.keys
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return this.#oldValues[i]
    return this.#base.get(key)
  }
}

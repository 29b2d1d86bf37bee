/**
 * Emitted-state tracker shared by the drivers: remembers the last value emitted per key so that
 *   - a write that did not change the content (same object written again, only resourceVersion
 *     or uid/creationTimestamp bumped) is not re-emitted, and
 *   - after a relist (reconnect, compaction, 410, file re-read) only the differences are emitted,
 *     including deletions for keys that vanished.
 *
 * Implementation: values are compared by a canonical JSON (object keys sorted, and
 * `metadata.resourceVersion` left out because it changes on every write). Pure and synchronous;
 * memory is one canonical string per key.
 *
 * Why not deep-equal on demand: the canonical string is computed once per received value and is
 * cheaper to keep than a second copy of the previous object graph to walk.
 */
import type { KVUpdate, Resource } from '@cattail/model'

/** Canonical JSON of a resource for change detection: sorted keys, no `metadata.resourceVersion`. */
export function canonicalJson(r: Resource): string {
  const { resourceVersion: _rv, ...meta } = r.metadata
  return stableStringify({ ...r, metadata: meta })
}

function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null'
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`
  const o = v as Record<string, unknown>
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`
}

/** The last emitted value of every key; decides what to emit. */
export class EmittedState {
  readonly #emitted = new Map<string, string>()

  /** Number of keys currently present. */
  get size(): number {
    return this.#emitted.size
  }

  /** True when `key` is currently present. */
  has(key: string): boolean {
    return this.#emitted.has(key)
  }

  /** Every present key. */
  keys(): IterableIterator<string> {
    return this.#emitted.keys()
  }

  /**
   * Records one change; returns the update to emit, or undefined when nothing changed
   * (same content, or deleting an absent key).
   */
  apply(key: string, value: Resource | undefined, revision: string): KVUpdate | undefined {
    if (value === undefined) {
      if (!this.#emitted.delete(key)) return undefined
      return { key, value: undefined, revision }
    }
    const json = canonicalJson(value)
    if (this.#emitted.get(key) === json) return undefined
    this.#emitted.set(key, json)
    return { key, value, revision }
  }

  /**
   * A complete listing of the keys for which `inScope(key)` is true (all keys by default):
   * returns updates for new and changed keys, in `listing` order, then deletions for in-scope
   * keys that are not in `listing`.
   */
  resync(
    listing: ReadonlyMap<string, Resource>,
    revision: string,
    inScope: (key: string) => boolean = () => true
  ): KVUpdate[] {
    const out: KVUpdate[] = []
    for (const [key, value] of listing) {
      const u = this.apply(key, value, revision)
      if (u !== undefined) out.push(u)
    }
    for (const key of [...this.#emitted.keys()]) {
      if (!listing.has(key) && inScope(key)) {
        this.#emitted.delete(key)
        out.push({ key, value: undefined, revision })
      }
    }
    return out
  }
}

/**
 * The cache's {@link KvEncoder}: syncproto's `encodeKv` (a msgpack array `[key, revision, value]`),
 * called exactly once per update that enters the cache.
 *
 * # Implementation
 * - Like Typha's `SerializeUpdate`, `metadata.resourceVersion` is removed from the value before
 *   encoding (the update's `revision` carries it): agents don't need it, and without it an update
 *   that only bumps the version encodes to the same value bytes and is dropped as a no-op.
 * - `valueBytes` is a view of the blob's tail after the key and revision strings (no second
 *   encoding): the blob starts with a fixarray header and two msgpack strings, whose lengths we
 *   skip.
 */
import type { KVUpdate, Resource } from '@cattail/model'
import { encodeKv, encodeKvTransient } from '@cattail/syncproto'
import type { CachedKv } from './cached-kv.js'

/** Encodes `update` once for the cache; the blob is the caller's to keep. */
export function encodeCachedKv(update: KVUpdate): CachedKv {
  return encodeWith(encodeKv, update)
}

/**
 * {@link encodeCachedKv} whose blob is a view into the encoder's shared buffer, valid only until
 * the next encode: the encoder the cache daemon gives its SnapshotCache, which copies each
 * blob into a slab (kv-slabs.ts) at once, so no Buffer is allocated per KV.
 */
export function encodeCachedKvTransient(update: KVUpdate): CachedKv {
  return encodeWith(encodeKvTransient, update)
}

function encodeWith(pack: (u: KVUpdate) => Buffer, update: KVUpdate): CachedKv {
  const value = stripResourceVersion(update.value)
  const blob = pack(value === update.value ? update : { ...update, value })
  return {
    key: update.key,
    blob,
    deleted: value === undefined,
    valueBytes: value === undefined ? undefined : blob.subarray(valueOffset(blob)),
  }
}

function stripResourceVersion(v: Resource | undefined): Resource | undefined {
  if (v?.metadata.resourceVersion === undefined) return v
  const { resourceVersion: _rv, ...metadata } = v.metadata
  return { ...v, metadata }
}

/** Offset of the third element of a msgpack array whose first two elements are strings. */
function valueOffset(blob: Uint8Array): number {
  let pos = 1 // fixarray header (3 elements)
  for (let i = 0; i < 2; i++) pos = skipString(blob, pos)
  return pos
}

function skipString(b: Uint8Array, pos: number): number {
  const t = b[pos] as number
  if (t >= 0xa0 && t <= 0xbf) return pos + 1 + (t & 0x1f)
  if (t === 0xd9) return pos + 2 + (b[pos + 1] as number)
  if (t === 0xda) return pos + 3 + (((b[pos + 1] as number) << 8) | (b[pos + 2] as number))
  if (t === 0xdb) {
    const len =
      (b[pos + 1] as number) * 2 ** 24 +
      (((b[pos + 2] as number) << 16) | ((b[pos + 3] as number) << 8) | (b[pos + 4] as number))
    return pos + 5 + len
  }
  throw new Error(`kv blob: expected a msgpack string at ${pos}, got 0x${t.toString(16)}`)
}

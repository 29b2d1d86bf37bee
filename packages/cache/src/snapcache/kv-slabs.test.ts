import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import { makeWep } from '../testing/resources.js'
import type { CachedKv } from './cached-kv.js'
import { encodeCachedKv } from './kv-encoding.js'
import { KvSlabs, SLAB_BYTES, SPARSE_RATIO, type SlabKv } from './kv-slabs.js'
import { DEFAULT_SNAPSHOT_CACHE_CONFIG, SnapshotCache } from './snapshot-cache.js'

const wep = (i: number, rev: number): KVUpdate => ({
  key: `WorkloadEndpoint/default/w${i}`,
  value: makeWep(`w${i}`, { labels: { rev: String(rev) } }),
  revision: String(rev),
})

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex')

void describe('KvSlabs', () => {
  void it('keeps the exact blob and value bytes of the encoder', () => {
    const slabs = new KvSlabs()
    for (const u of [
      wep(1, 1),
      { key: 'WorkloadEndpoint/default/gone', value: undefined, revision: '2' },
    ]) {
      const enc = encodeCachedKv(u)
      const kv = slabs.intern(enc)
      assert.equal(kv.key, enc.key)
      assert.equal(kv.deleted, enc.deleted)
      assert.equal(hex(kv.blob), hex(enc.blob))
      assert.equal(hex(kv.valueBytes), hex(enc.valueBytes))
      assert.equal(kv.valueBytes === undefined, enc.valueBytes === undefined)
    }
  })

  void it('packs many KVs into few slabs and gives an oversize blob its own', () => {
    const slabs = new KvSlabs()
    const kvs = Array.from({ length: 2000 }, (_, i) => slabs.intern(encodeCachedKv(wep(i, 1))))
    const distinct = new Set(kvs.map((k) => k.blob.buffer))
    assert.ok(distinct.size <= Math.ceil((2000 * 600) / SLAB_BYTES) + 1, `${distinct.size} slabs`)
    const big = encodeCachedKv({
      key: 'WorkloadEndpoint/default/big',
      value: makeWep('big', { labels: { pad: 'x'.repeat(SLAB_BYTES / 4) } }),
      revision: '1',
    })
    const kb = slabs.intern(big)
    assert.equal(kb.blob.buffer.byteLength, big.blob.byteLength, 'a slab of its own')
    assert.equal(hex(kb.blob), hex(big.blob))
  })

  void it('compaction moves live KVs in place, keeps their bytes and bounds the slabs under churn', () => {
    const slabs = new KvSlabs()
    const live = new Map<string, SlabKv>()
    const expect = new Map<string, string>()
    const put = (u: KVUpdate): void => {
      const kv = slabs.intern(encodeCachedKv(u))
      const prev = live.get(u.key)
      if (prev !== undefined) slabs.release(prev)
      live.set(u.key, kv)
      slabs.retain(kv)
      expect.set(u.key, hex(kv.blob))
    }
    const n = 3000
    for (let i = 0; i < n; i++) put(wep(i, 0))
    assert.equal(slabs.sweepDue, false, 'a load without churn needs no sweep')
    const first = live.get('WorkloadEndpoint/default/w0') as SlabKv
    const heldView = first.blob
    const heldHex = hex(heldView)
    const slabBefore = first.slab
    const offsetBefore = first.offset
    let sweeps = 0
    // Churn: rewrite every other KV several times (deterministic), sweeping when due.
    for (let round = 1; round <= 6; round++) {
      for (let i = 1; i < n; i += 2) {
        put(wep(i, round))
        if (slabs.sweepDue) {
          slabs.sweep(live.values())
          sweeps++
        }
      }
    }
    assert.ok(sweeps > 0, 'sweeps happened')
    assert.ok(slabs.movedBytes > 0, 'live KVs were moved')
    assert.equal(hex(heldView), heldHex, 'a view taken before a move keeps its bytes')
    // w0 is never rewritten, but its slab lost half its KVs to churn: the sweep moved it, in
    // place (the object the map, crumbs and snapshots hold), and it still reads the same bytes.
    assert.ok(first.slab !== slabBefore || first.offset !== offsetBefore, 'w0 was moved')
    assert.equal(hex(first.blob), heldHex, 'the moved KV reads the same bytes')
    for (const [k, kv] of live) assert.equal(hex(kv.blob), expect.get(k), k)
    // Bytes of the slabs the live KVs refer to stay within the documented bound.
    const used = new Set<ArrayBufferLike>()
    let slabBytes = 0
    for (const kv of live.values()) {
      const buf = kv.blob.buffer
      if (used.has(buf)) continue
      used.add(buf)
      slabBytes += buf.byteLength
    }
    const bound = slabs.liveBytes / SPARSE_RATIO + slabs.liveBytes / 4 + 2 * SLAB_BYTES
    assert.ok(
      slabBytes <= bound,
      `${slabBytes} slab bytes for ${slabs.liveBytes} live (bound ${bound})`
    )
  })

  void it('the cache serves the same bytes after churn and compaction as a fresh encoding', () => {
    const cache = new SnapshotCache(
      { ...DEFAULT_SNAPSHOT_CACHE_CONFIG, batchWindowMs: 0 },
      encodeCachedKv,
      createSilentLogger()
    )
    const n = 2000
    const want = new Map<string, CachedKv>()
    for (let round = 0; round < 5; round++) {
      const batch: KVUpdate[] = []
      for (let i = round === 0 ? 0 : round % 2; i < n; i += round === 0 ? 1 : 2)
        batch.push(wep(i, round))
      for (const u of batch) want.set(u.key, encodeCachedKv(u))
      cache.onUpdates(batch)
      cache.flush()
    }
    for (const [k, enc] of want) assert.equal(hex(cache.get(k)?.blob), hex(enc.blob), k)
    const snap = cache.snapshot()
    assert.equal(snap.entries.length, n)
    for (const e of snap.entries) assert.equal(hex(e.blob), hex(want.get(e.key)?.blob))
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import { decodeFrame } from '@cattail/syncproto'
import { makeWep } from '../testing/resources.js'
import { encodeCachedKv } from '../snapcache/kv-encoding.js'
import { DEFAULT_SNAPSHOT_CACHE_CONFIG, SnapshotCache } from '../snapcache/snapshot-cache.js'
import { SharedSnapshots } from './shared-snapshots.js'
import { WsFrames } from './ws-frame.js'

void describe('SharedSnapshots', () => {
  void it('builds a many-chunk snapshot a few chunks at a time, in order, one framed copy each', async () => {
    const cache = new SnapshotCache(
      DEFAULT_SNAPSHOT_CACHE_CONFIG,
      encodeCachedKv,
      createSilentLogger()
    )
    const n = 101
    const updates: KVUpdate[] = Array.from({ length: n }, (_, i) => ({
      key: `WorkloadEndpoint/default/w${i}`,
      value: makeWep(`w${i}`),
      revision: String(i + 1),
    }))
    cache.onUpdates(updates)
    cache.onStatus('in-sync')
    cache.flush()
    const wsFrames = new WsFrames()
    const snaps = new SharedSnapshots(
      { snapshotChunkKvs: 3, snapshotChunkBytes: 1 << 20, snapshotReuseMs: 1000 },
      cache,
      undefined,
      wsFrames
    )
    const snap = snaps.acquire('deflate')
    assert.equal(snap.frames.length, Math.ceil(n / 3))
    assert.equal(snaps.acquire('deflate'), snap, 'shared by the next joiner')
    const keys: string[] = []
    for (const [i, pending] of snap.frames.entries()) {
      const f = await pending
      assert.equal(wsFrames.of(f).buffer, f.buffer, 'the payload is a view into its frame')
      const msg = decodeFrame(f, { maxFrameBytes: 1 << 24, maxKvsPerFrame: 10_000 })
      assert.equal(msg.type, 'snapshot-chunk')
      if (msg.type !== 'snapshot-chunk') return
      assert.equal(msg.index, i)
      assert.equal(msg.last, i === snap.frames.length - 1)
      assert.equal(msg.seq, cache.latest.seq)
      for (const u of msg.updates) keys.push(u.key)
    }
    assert.deepEqual(
      keys,
      updates.map((u) => u.key)
    )
  })
})

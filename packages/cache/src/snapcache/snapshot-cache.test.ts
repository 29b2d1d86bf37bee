import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { AbortedError, createSilentLogger } from '@cattail/common'
import { waitFor } from '@cattail/common/testing'
import type { KVUpdate } from '@cattail/model'
import { CacheMetrics } from '../metrics/cache-metrics.js'
import { makeNode, makeRemoteStatus, makeWep } from '../testing/resources.js'
import type { Breadcrumb } from './breadcrumb.js'
import { encodeCachedKv } from './kv-encoding.js'
import {
  DEFAULT_SNAPSHOT_CACHE_CONFIG,
  SnapshotCache,
  type SnapshotCacheConfig,
} from './snapshot-cache.js'

const log = createSilentLogger()

function newCache(
  cfg: Partial<SnapshotCacheConfig> = {},
  now?: () => number
): { cache: SnapshotCache; metrics: CacheMetrics } {
  const metrics = new CacheMetrics(false)
  const cache = new SnapshotCache(
    { ...DEFAULT_SNAPSHOT_CACHE_CONFIG, maxBatchSize: 10, ...cfg },
    encodeCachedKv,
    log,
    {
      metrics,
      ...(now !== undefined && { nowMs: now }),
    }
  )
  return { cache, metrics }
}

const wep = (name: string, rev = '1', labels?: Record<string, string>): KVUpdate => ({
  key: `WorkloadEndpoint/default/${name}`,
  value: makeWep(name, labels !== undefined ? { labels } : {}),
  revision: rev,
})

function crumbsAfter(from: Breadcrumb): Breadcrumb[] {
  const out: Breadcrumb[] = []
  for (let c = from.nextIfReady; c !== undefined; c = c.nextIfReady) out.push(c)
  return out
}

async function counter(
  m: CacheMetrics,
  name: 'updatesSkipped' | 'updatesReceived'
): Promise<number> {
  return (await m[name].get()).values[0]?.value ?? 0
}

void describe('SnapshotCache', () => {
  void it('drops an update that only changes the revision or resourceVersion, and counts it', async () => {
    const { cache, metrics } = newCache()
    cache.onUpdates([wep('a', '1')])
    cache.flush()
    const seq = cache.latest.seq
    const v = makeWep('a')
    cache.onUpdates([
      {
        key: 'WorkloadEndpoint/default/a',
        value: { ...v, metadata: { ...v.metadata, resourceVersion: '99' } },
        revision: '2',
      },
      wep('a', '3'),
    ])
    cache.flush()
    assert.equal(cache.latest.seq, seq, 'no crumb for no-ops')
    assert.equal(await counter(metrics, 'updatesSkipped'), 2)
    cache.onUpdates([wep('a', '4', { app: 'changed' })])
    cache.flush()
    assert.equal(cache.latest.seq, seq + 1)
  })

  void it('publishes at most once per batch window while input keeps arriving', async () => {
    let now = 1_000_000
    const { cache } = newCache({ batchWindowMs: 40 }, () => now)
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r))
    cache.onUpdates([wep('a')])
    await tick()
    assert.equal(cache.latest.seq, 2, 'input after a quiet window goes out on the next tick')
    cache.onUpdates([wep('b')])
    cache.onUpdates([wep('c')])
    await tick()
    assert.equal(cache.latest.seq, 2, 'input within the window waits for its end')
    const start = cache.latest
    await waitFor(() => cache.latest.seq === 3, { what: 'the window batch' })
    assert.deepEqual(
      start.nextIfReady?.deltas.map((d) => d.key),
      ['WorkloadEndpoint/default/b', 'WorkloadEndpoint/default/c'],
      'one crumb for the whole window'
    )
    now += 1000 // a quiet window later
    cache.onUpdates([wep('d')])
    await tick()
    assert.equal(cache.latest.seq, 4)
    cache.onUpdates([wep('e')])
    cache.flush() // an explicit flush is never delayed (and cancels the pending timer)
    assert.equal(cache.latest.seq, 5)
    cache.stop()
  })

  void it('never drops deletions, even of unknown keys', () => {
    const { cache } = newCache()
    cache.onUpdates([{ key: 'WorkloadEndpoint/default/ghost', value: undefined, revision: '1' }])
    cache.flush()
    assert.equal(cache.latest.deltas.length, 1)
    assert.equal(cache.latest.deltas[0]?.deleted, true)
    assert.equal(cache.size, 0)
  })

  void it('splits a batch into crumbs and applies the status to the last crumb only', () => {
    const { cache } = newCache()
    const first = cache.latest
    cache.onUpdates(Array.from({ length: 25 }, (_, i) => wep(`w${i}`)))
    cache.onStatus('in-sync')
    cache.flush()
    const crumbs = crumbsAfter(first)
    assert.deepEqual(
      crumbs.map((c) => c.deltas.length),
      [10, 10, 5]
    )
    assert.deepEqual(
      crumbs.map((c) => c.status),
      ['wait-for-ready', 'wait-for-ready', 'in-sync']
    )
    assert.deepEqual(
      crumbs.map((c) => c.seq),
      [first.seq + 1, first.seq + 2, first.seq + 3]
    )
    assert.equal(cache.size, 25)
  })

  void it('publishes a status-only crumb and nothing when nothing changed', () => {
    const { cache } = newCache()
    const s0 = cache.latest.seq
    cache.onStatus('wait-for-ready')
    cache.flush()
    assert.equal(cache.latest.seq, s0)
    cache.onStatus('resync-in-progress')
    cache.flush()
    assert.equal(cache.latest.seq, s0 + 1)
    assert.equal(cache.latest.deltas.length, 0)
    assert.equal(cache.status, 'resync-in-progress')
  })

  void it('serves snapshots at the latest crumb, built once per crumb', () => {
    const { cache } = newCache()
    cache.onUpdates([wep('a'), wep('b')])
    cache.flush()
    const s1 = cache.snapshot()
    assert.equal(s1, cache.snapshot(), 'memoised for the same crumb')
    assert.equal(s1.crumb, cache.latest)
    assert.deepEqual(s1.entries.map((e) => e.key).sort(), [
      'WorkloadEndpoint/default/a',
      'WorkloadEndpoint/default/b',
    ])
    cache.onUpdates([{ key: 'WorkloadEndpoint/default/a', value: undefined, revision: '5' }])
    cache.flush()
    const s2 = cache.snapshot()
    assert.notEqual(s2, s1)
    assert.equal(s1.entries.length, 2, 'an old snapshot is immutable')
    assert.deepEqual(
      s2.entries.map((e) => e.key),
      ['WorkloadEndpoint/default/b']
    )
  })

  void it('encodes each KV once and shares the bytes between map, crumb and snapshot', () => {
    const { cache } = newCache()
    cache.onUpdates([wep('a')])
    cache.flush()
    const kv = cache.get('WorkloadEndpoint/default/a')
    assert.ok(kv !== undefined)
    assert.equal(cache.latest.deltas[0], kv, 'the crumb holds the map entry itself')
    assert.equal(cache.snapshot().entries[0], kv)
    const a = kv.blob
    const b = cache.latest.deltas[0]?.blob
    assert.ok(b !== undefined)
    assert.equal(a.buffer, b.buffer, 'views of the same slab bytes')
    assert.equal(a.byteOffset, b.byteOffset)
  })

  void it('retains crumbs for resume bounded by bytes and by age', () => {
    let now = 1_000_000
    const { cache } = newCache({ retainBytes: 10_000, retainMs: 60_000 }, () => now)
    const s0 = cache.latest.seq
    assert.equal(cache.crumbAt(s0), cache.latest)
    for (let i = 0; i < 20; i++) {
      cache.onUpdates([wep(`w${i}`, '1', { pad: 'z'.repeat(1000) })])
      cache.flush()
    }
    assert.ok(cache.retention.bytes <= 10_000)
    assert.ok(cache.oldestRetainedSeq > s0)
    assert.equal(cache.crumbAt(s0), undefined, 'pushed out by bytes')
    assert.equal(cache.crumbAt(cache.latest.seq), cache.latest)
    assert.equal(cache.crumbAt(cache.latest.seq + 1), undefined, 'future seq')
    const mid = cache.latest.seq
    now += 120_000
    cache.onUpdates([wep('late')])
    cache.flush()
    assert.equal(cache.crumbAt(mid), undefined, 'pushed out by age')
    assert.equal(cache.retention.crumbs, 1)
  })

  void it('counts local nodes only and tracks remote cluster statuses in the metric', async () => {
    const { cache, metrics } = newCache()
    cache.onUpdates([
      { key: 'Node/n1', value: makeNode('n1'), revision: '1' },
      { key: 'Node/n2', value: makeNode('n2'), revision: '1' },
      { key: 'b/Node/n1', value: makeNode('b/n1'), revision: '1' },
      { key: 'RemoteClusterStatus/b', value: makeRemoteStatus('b', 'InSync'), revision: '1' },
    ])
    cache.flush()
    assert.equal(cache.localNodeCount, 2)
    assert.equal(cache.remotes.get('b')?.status, 'InSync')
    let text = await metrics.exposition()
    assert.match(text, /remote_cluster_connection_status\{remote_cluster_name="b"\} 2/)
    cache.onUpdates([
      { key: 'Node/n1', value: undefined, revision: '2' },
      { key: 'RemoteClusterStatus/b', value: undefined, revision: '2' },
    ])
    cache.flush()
    assert.equal(cache.localNodeCount, 1)
    assert.equal(cache.remotes.size, 0)
    text = await metrics.exposition()
    assert.doesNotMatch(text, /remote_cluster_name="b"/)
  })

  void it('never serves Secrets or RemoteClusterConfigurations', () => {
    const { cache } = newCache()
    cache.onUpdates([
      {
        key: 'Secret/kube-system/rcc-b',
        value: {
          kind: 'Secret',
          metadata: { name: 'rcc-b', namespace: 'kube-system' },
          spec: { data: { kubeconfig: 'x' } },
        },
        revision: '1',
      },
      {
        key: 'RemoteClusterConfiguration/b',
        value: { kind: 'RemoteClusterConfiguration', metadata: { name: 'b' }, spec: {} },
        revision: '1',
      },
      { key: 'not a key', value: undefined, revision: '1' },
    ])
    cache.flush()
    assert.equal(cache.size, 0)
    assert.equal(cache.latest.seq, 1)
  })

  void it('followers at different paces all converge on the same state', async () => {
    const { cache } = newCache({ maxBatchSize: 7 })
    const start = cache.latest
    const follow = async (delayEvery: number): Promise<Map<string, string>> => {
      const state = new Map<string, string>()
      let c = start
      let n = 0
      while (c.status !== 'in-sync') {
        c = await c.next()
        for (const d of c.deltas) {
          if (d.deleted) state.delete(d.key)
          else state.set(d.key, Buffer.from(d.blob).toString('hex'))
        }
        if (++n % delayEvery === 0) await new Promise((r) => setImmediate(r))
      }
      return state
    }
    const followers = [follow(1), follow(3), follow(50)]
    for (let i = 0; i < 1234; i++) {
      cache.onUpdates([
        i % 11 === 0
          ? { key: `WorkloadEndpoint/default/w${i % 97}`, value: undefined, revision: String(i) }
          : wep(`w${i % 97}`, String(i), { i: String(i % 13) }),
      ])
      if (i % 100 === 0) await new Promise((r) => setImmediate(r))
    }
    cache.onStatus('in-sync')
    const states = await Promise.all(followers)
    const want = new Map(
      [...cache.snapshot().entries].map((e) => [e.key, Buffer.from(e.blob).toString('hex')])
    )
    for (const s of states) assert.deepEqual(s, want)
  })

  void it('next() rejects when aborted and resolves every waiter with the same crumb', async () => {
    const { cache } = newCache()
    const ac = new AbortController()
    const c = cache.latest
    const aborted = c.next(ac.signal)
    const w1 = c.next()
    const w2 = c.next(new AbortController().signal)
    ac.abort()
    await assert.rejects(aborted, AbortedError)
    cache.onUpdates([wep('a')])
    cache.flush()
    const [a, b] = await Promise.all([w1, w2])
    assert.equal(a, b)
    assert.equal(a, cache.latest)
  })
})

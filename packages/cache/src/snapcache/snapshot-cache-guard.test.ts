import { strict as assert } from 'node:assert'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { pino } from 'pino'
import { waitFor } from '@cattail/common/testing'
import { BadObjectError, RemoteObjectRejectedError } from '@cattail/datastore'
import { CacheMetrics } from '../metrics/cache-metrics.js'
import { makeRemoteStatus } from '../testing/resources.js'
import { encodeCachedKv } from './kv-encoding.js'
import { DEFAULT_SNAPSHOT_CACHE_CONFIG, SnapshotCache } from './snapshot-cache.js'

function newCache() {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>)
      cb()
    },
  })
  const metrics = new CacheMetrics(false)
  const cache = new SnapshotCache(
    DEFAULT_SNAPSHOT_CACHE_CONFIG,
    encodeCachedKv,
    pino({ level: 'debug' }, sink),
    { metrics }
  )
  return { cache, metrics, lines }
}

void describe('snapshot cache: bad input accounting', () => {
  void it('counts rejected objects by kind and reason, and remote refusals by remote and reason', async () => {
    const { cache, metrics } = newCache()
    try {
      cache.onFailure(new BadObjectError('ippools p', 'bad', undefined, 'ippools', 'invalid'))
      cache.onFailure(new BadObjectError('k', 'boom', undefined, 'IPPool', 'exception'))
      cache.onFailure(new RemoteObjectRejectedError('b', 'overlaps-local-pool', 'b/IPPool/x', 'd'))
      const text = await metrics.exposition()
      assert.match(
        text,
        /cattail_datastore_rejected_objects_total\{kind="ippools",reason="invalid"\} 1/
      )
      assert.match(
        text,
        /cattail_datastore_rejected_objects_total\{kind="IPPool",reason="exception"\} 1/
      )
      assert.match(
        text,
        /cattail_remote_rejected_objects_total\{remote_cluster_name="b",reason="overlaps-local-pool"\} 1/
      )
    } finally {
      cache.stop()
    }
  })

  void it('does not repeat the remote in-sync line (the remote logs it once); sums MAC conflicts', async () => {
    const { cache, metrics, lines } = newCache()
    try {
      const st = makeRemoteStatus('b', 'InSync')
      cache.onUpdates([
        {
          key: 'RemoteClusterStatus/b',
          value: { ...st, spec: { ...st.spec, vtepMacConflicts: ['n1', 'n2'] } },
          revision: '1',
        },
      ])
      await waitFor(() => cache.remotes.get('b')?.status === 'InSync')
      const insync = lines.filter((l) => String(l['msg']).startsWith('Sending in-sync update'))
      assert.equal(insync.length, 0)
      assert.match(await metrics.exposition(), /cattail_remote_vtep_mac_conflicts 2/)
    } finally {
      cache.stop()
    }
  })
})

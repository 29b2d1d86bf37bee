import { strict as assert } from 'node:assert'
import { after, before, describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { waitFor } from '@cattail/common/testing'
import type { IPPool } from '@cattail/model'
import { EtcdSyncer } from './etcd-syncer.js'
import { etcdKeyFor, etcdValueFor } from './layout.js'
import { SyncerRecorder } from '../testing/recorder.js'
import {
  makeEtcdHarness,
  TEST_ETCD_SYNCER_TUNING,
  type EtcdHarness,
} from '../testing/etcd-harness.js'

const pool = (name: string, cidr: string, natOutgoing = true): IPPool => ({
  kind: 'IPPool',
  metadata: { name },
  spec: { cidr, vxlanMode: 'Always', ipipMode: 'Never', natOutgoing, disabled: false },
})

void describe('etcdv3 driver specifics (needs etcd)', () => {
  let h: EtcdHarness
  before(async () => {
    h = await makeEtcdHarness()
  })
  after(async () => {
    await h.close()
  })

  void it('a watch from a compacted revision is canceled, and the relist emits only the differences (needs etcd)', async () => {
    for (const p of [
      pool('c-a', '198.19.0.0/24'),
      pool('c-b', '198.19.1.0/24'),
      pool('c-c', '198.19.2.0/24'),
    ]) {
      await h.put(p)
    }
    let compacted = false
    const rec = new SyncerRecorder()
    const syncer = new EtcdSyncer(
      h.config,
      { kinds: new Set(['IPPool']), log: createSilentLogger() },
      rec,
      {
        ...TEST_ETCD_SYNCER_TUNING,
        // After the first list: change things behind the syncer's back and compact past its revision.
        afterList: async () => {
          if (compacted) return
          compacted = true
          await h.client
            .delete()
            .key(etcdKeyFor(pool('c-b', '198.19.1.0/24')))
            .exec()
          const c2 = pool('c-c', '198.19.2.0/24', false)
          const put = await h.client.put(etcdKeyFor(c2)).value(etcdValueFor(c2)).exec()
          await h.client.kv.compact({ revision: put.header.revision, physical: true })
        },
      }
    )
    await syncer.start()
    try {
      await waitFor(() => !rec.state.has('IPPool/c-b'), {
        timeoutMs: 15_000,
        what: 'c-b deleted by the relist',
      })
      await waitFor(
        () => (rec.state.get('IPPool/c-c') as IPPool | undefined)?.spec.natOutgoing === false,
        {
          timeoutMs: 15_000,
          what: 'c-c updated by the relist',
        }
      )
      assert.equal(rec.countFor('IPPool/c-a'), 1, rec.describe())
      assert.deepEqual(rec.failures, [], 'a single compaction is routine, not a failure')
      assert.deepEqual(rec.statuses, ['resync-in-progress', 'in-sync'], 'the status stays in-sync')
      await h.put(pool('c-d', '198.19.3.0/24'))
      await waitFor(() => rec.state.has('IPPool/c-d'), {
        timeoutMs: 15_000,
        what: 'the new watch to deliver',
      })
    } finally {
      await syncer.stop()
    }
  })

  void it('keeps retrying while etcd is unreachable from the start, then syncs (needs etcd)', async () => {
    await h.put(pool('u-a', '198.19.8.0/24'))
    h.proxy.cut()
    const rec = new SyncerRecorder()
    const syncer = new EtcdSyncer(
      h.config,
      { kinds: new Set(['IPPool']), log: createSilentLogger() },
      rec,
      TEST_ETCD_SYNCER_TUNING
    )
    await syncer.start()
    try {
      await waitFor(() => rec.failures.length >= 2, {
        timeoutMs: 15_000,
        what: 'repeated connection failures',
      })
      assert.equal(rec.failures[0]?.code, 'ERR_DATASTORE_CONNECTION')
      assert.equal(syncer.status, 'resync-in-progress')
      h.proxy.resume()
      await waitFor(() => rec.status === 'in-sync' && rec.state.has('IPPool/u-a'), {
        timeoutMs: 15_000,
        what: 'in-sync',
      })
    } finally {
      h.proxy.resume()
      await syncer.stop()
    }
  })

  void it('lists in pages at one revision (needs etcd)', async () => {
    const names = Array.from({ length: 25 }, (_, i) => `page-${String(i).padStart(2, '0')}`)
    await Promise.all(names.map((n, i) => h.put(pool(n, `198.19.${100 + i}.0/24`))))
    const rec = new SyncerRecorder()
    const syncer = new EtcdSyncer(
      h.config,
      { kinds: new Set(['IPPool']), log: createSilentLogger() },
      rec,
      { ...TEST_ETCD_SYNCER_TUNING, listPageSize: 4 }
    )
    await syncer.start()
    try {
      await waitFor(() => rec.status === 'in-sync', { timeoutMs: 15_000, what: 'in-sync' })
      for (const n of names) assert.ok(rec.state.has(`IPPool/${n}`), n)
      const revisions = new Set(
        rec.updates.filter((u) => u.key.startsWith('IPPool/page-')).map((u) => u.revision)
      )
      assert.equal(revisions.size, 1, 'one listing revision for every page')
    } finally {
      await syncer.stop()
    }
  })
})

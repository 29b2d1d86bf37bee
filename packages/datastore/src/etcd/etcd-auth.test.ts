import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { startTestEtcd, waitFor } from '@cattail/common/testing'
import type { IPPool } from '@cattail/model'
import { createEtcdClient } from './client.js'
import { EtcdSyncer } from './etcd-syncer.js'
import { etcdKeyFor, etcdValueFor } from './layout.js'
import { SyncerRecorder } from '../testing/recorder.js'
import { TEST_ETCD_SYNCER_TUNING } from '../testing/etcd-harness.js'

const run = promisify(execFile)

void describe('etcdv3 driver with username/password (needs etcd, etcdctl)', () => {
  void it('syncs with the right password and reports a clear failure with a wrong one (needs etcd, etcdctl)', async () => {
    const etcd = await startTestEtcd()
    try {
      const pool: IPPool = {
        kind: 'IPPool',
        metadata: { name: 'auth-pool' },
        spec: {
          cidr: '198.19.0.0/16',
          vxlanMode: 'Always',
          ipipMode: 'Never',
          natOutgoing: false,
          disabled: false,
        },
      }
      const admin = createEtcdClient({ type: 'etcdv3', endpoints: [etcd.endpoint] })
      await admin.put(etcdKeyFor(pool)).value(etcdValueFor(pool)).exec()
      admin.close()
      const ctl = (...args: string[]): Promise<unknown> =>
        run('etcdctl', [`--endpoints=${etcd.endpoint}`, ...args], {
          env: { ...process.env, ETCDCTL_API: '3' },
        })
      await ctl('user', 'add', 'root:s3cret-pw', '--interactive=false')
      await ctl('user', 'grant-role', 'root', 'root')
      await ctl('auth', 'enable')

      const good = new SyncerRecorder()
      const s1 = new EtcdSyncer(
        { type: 'etcdv3', endpoints: [etcd.endpoint], username: 'root', password: 's3cret-pw' },
        { kinds: new Set(['IPPool']), log: createSilentLogger() },
        good,
        TEST_ETCD_SYNCER_TUNING
      )
      const bad = new SyncerRecorder()
      const s2 = new EtcdSyncer(
        { type: 'etcdv3', endpoints: [etcd.endpoint], username: 'root', password: 'wrong' },
        { kinds: new Set(['IPPool']), log: createSilentLogger() },
        bad,
        TEST_ETCD_SYNCER_TUNING
      )
      await s1.start()
      await s2.start()
      try {
        await waitFor(() => good.status === 'in-sync' && good.state.has('IPPool/auth-pool'), {
          timeoutMs: 15_000,
          what: 'authenticated sync',
        })
        await waitFor(() => bad.failures.length > 0, {
          timeoutMs: 15_000,
          what: 'an authentication failure',
        })
        assert.equal(bad.failures[0]?.code, 'ERR_DATASTORE_CONNECTION')
        assert.match(bad.failures[0]?.message ?? '', /authentication failed|invalid/i)
        assert.notEqual(bad.status, 'in-sync')
      } finally {
        await s1.stop()
        await s2.stop()
      }
    } finally {
      await etcd.stop()
    }
  })
})

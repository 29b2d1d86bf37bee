import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { ETCD_BIN, freePort, makeTestCa, tempDir, waitFor } from '@cattail/common/testing'
import type { IPPool } from '@cattail/model'
import { createEtcdClient } from './client.js'
import { EtcdSyncer } from './etcd-syncer.js'
import { etcdKeyFor, etcdValueFor } from './layout.js'
import { SyncerRecorder } from '../testing/recorder.js'
import { TEST_ETCD_SYNCER_TUNING } from '../testing/etcd-harness.js'

void describe('etcdv3 driver over mutual TLS (needs etcd, openssl)', () => {
  void it('connects with CA, client certificate and key given as contents (needs etcd, openssl)', async () => {
    const dir = await tempDir('cattail-etcd-tls-')
    const ca = await makeTestCa(dir.path)
    const server = await ca.issue('server', {
      cn: 'etcd',
      ips: ['127.0.0.1'],
      dnsNames: ['localhost'],
      usage: 'server',
    })
    const client = await ca.issue('client', { cn: 'cattail', usage: 'client' })
    const port = await freePort()
    const peer = await freePort()
    const endpoint = `https://127.0.0.1:${port}`
    const proc = spawn(
      ETCD_BIN,
      [
        '--name',
        'tls',
        '--data-dir',
        `${dir.path}/data`,
        '--listen-client-urls',
        endpoint,
        '--advertise-client-urls',
        endpoint,
        '--listen-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-cluster',
        `tls=http://127.0.0.1:${peer}`,
        '--cert-file',
        server.certFile,
        '--key-file',
        server.keyFile,
        '--client-cert-auth',
        '--trusted-ca-file',
        ca.certFile,
        '--log-level',
        'error',
      ],
      { stdio: 'ignore' }
    )
    const tls = { ca: ca.cert, cert: client.cert, key: client.key }
    const writer = createEtcdClient({ type: 'etcdv3', endpoints: [endpoint], tls })
    const rec = new SyncerRecorder()
    const syncer = new EtcdSyncer(
      { type: 'etcdv3', endpoints: [endpoint], tls },
      { kinds: new Set(['IPPool']), log: createSilentLogger() },
      rec,
      TEST_ETCD_SYNCER_TUNING
    )
    try {
      const pool: IPPool = {
        kind: 'IPPool',
        metadata: { name: 'tls-pool' },
        spec: {
          cidr: '198.19.0.0/16',
          vxlanMode: 'Always',
          ipipMode: 'Never',
          natOutgoing: false,
          disabled: false,
        },
      }
      await waitFor(
        async () => {
          await writer.put(etcdKeyFor(pool)).value(etcdValueFor(pool)).exec()
          return true
        },
        { timeoutMs: 20_000, intervalMs: 100, what: 'etcd over TLS to accept a write' }
      )
      await syncer.start()
      await waitFor(() => rec.status === 'in-sync' && rec.state.has('IPPool/tls-pool'), {
        timeoutMs: 15_000,
        what: 'in-sync over TLS',
      })
      assert.deepEqual(rec.failures, [])
    } finally {
      await syncer.stop()
      writer.close()
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = once(proc, 'exit')
        proc.kill('SIGTERM')
        await exited
      }
      await dir.remove()
    }
  })
})

import { strict as assert } from 'node:assert'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { pino } from 'pino'
import { waitFor } from '@cattail/common/testing'
import type { ResourceKind } from '@cattail/model'
import { makeKubeHarness } from './kubernetes/testing/kube-harness.js'
import { makeEtcdHarness } from './testing/etcd-harness.js'
import type { SyncerHarness } from './testing/harness.js'
import { SyncerRecorder } from './testing/recorder.js'

const KINDS = new Set<ResourceKind>(['RemoteClusterConfiguration', 'IPPool'])

const drivers: [string, () => Promise<SyncerHarness>][] = [
  ['kubernetes (test API server)', () => makeKubeHarness()],
  ['etcdv3 (needs etcd)', () => makeEtcdHarness()],
]

for (const [name, make] of drivers) {
  void describe(`rejected objects: ${name}`, () => {
    void it('logs a bad object once per key, counts every rejection, and tombstones a deleted bad RCC', async () => {
      const h = await make()
      const logs: Record<string, unknown>[] = []
      const sink = new Writable({
        write(chunk: Buffer, _e, cb) {
          for (const l of chunk.toString().split('\n'))
            if (l !== '') logs.push(JSON.parse(l) as Record<string, unknown>)
          cb()
        },
      })
      const rec = new SyncerRecorder()
      const syncer = h.createSyncer({ kinds: KINDS, log: pino({ level: 'info' }, sink) }, rec)
      try {
        const bad = (n: number): unknown => ({
          apiVersion: 'projectcalico.org/v3',
          kind: 'RemoteClusterConfiguration',
          metadata: { name: 'bad' },
          spec: { etcdEndpoints: n },
        })
        await h.putRaw('RemoteClusterConfiguration', 'bad', undefined, bad(1))
        await syncer.start()
        await waitFor(() => rec.status === 'in-sync')
        await waitFor(() => rec.failures.length >= 1)
        // Written again (still bad): reported again, logged only once.
        await h.putRaw('RemoteClusterConfiguration', 'bad', undefined, bad(2))
        await waitFor(() => rec.failures.length >= 2, { what: 'second rejection reported' })
        const lines = logs.filter((l) => l['msg'] === 'invalid object treated as absent')
        assert.equal(lines.length, 1)
        assert.match(String(lines[0]?.['source']), /bad/)
        assert.ok(rec.failures.every((f) => f.code === 'ERR_BAD_OBJECT'))
        // Deleted: a deletion of its key reaches the consumer although no value ever did.
        await h.remove('RemoteClusterConfiguration', 'bad', undefined)
        await waitFor(
          () => rec.updates.some((u) => u.key === 'RemoteClusterConfiguration/bad' && !u.value),
          { what: 'tombstone for the deleted bad RCC' }
        )
        assert.ok(!rec.state.has('RemoteClusterConfiguration/bad'))
      } finally {
        await syncer.stop()
        await h.close()
      }
    })
  })
}

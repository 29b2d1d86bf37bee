import { strict as assert } from 'node:assert'
import { after, describe, it } from 'node:test'
import { CLOSE_CODES, DEFAULT_SYNC_CLIENT_CONFIG, SyncClient } from '@cattail/syncproto'
import { createSilentLogger } from '@cattail/common'
import { waitFor } from '@cattail/common/testing'
import type { SyncStatus } from '@cattail/model'
import { makeWep, startHarness, type Harness } from '../testing/index.js'

const log = createSilentLogger()

/** True when the reference client's state has exactly the cache's keys. */
function sameKeys(client: SyncClient, h: Harness): boolean {
  if (client.state.size !== h.cache.size) return false
  for (const k of client.state.keys()) if (h.cache.get(k) === undefined) return false
  return true
}

void describe('reference SyncClient against the real server', () => {
  const stops: Array<() => Promise<void>> = []
  after(async () => {
    for (const s of stops.reverse()) await s()
  })

  void it('syncs, then resumes with deltas only after a dropped connection', async () => {
    const h = await startHarness()
    stops.push(() => h.stop())
    h.syncer.send(
      Array.from({ length: 50 }, (_, i) => ({
        key: `WorkloadEndpoint/default/c${i}`,
        value: makeWep(`c${i}`),
      }))
    )
    h.syncer.setStatus('in-sync')
    let status: SyncStatus | undefined
    let snapshots = 0
    const client = new SyncClient(
      {
        ...DEFAULT_SYNC_CLIENT_CONFIG,
        addresses: [h.url],
        nodeName: 'interop',
        backoff: { initialMs: 20, maxMs: 100, factor: 2, jitter: 0 },
      },
      {
        onSnapshotStart: () => snapshots++,
        onUpdates: () => undefined,
        onStatus: (s) => (status = s),
      },
      log
    )
    await client.start()
    stops.push(() => client.stop())
    await waitFor(() => status === 'in-sync' && sameKeys(client, h), { what: 'initial sync' })
    assert.equal(snapshots, 1)

    // Drop the connection server-side, change data meanwhile: the client resumes with deltas.
    const [conn] = [...h.server.connections]
    conn?.close('shedding', {
      code: CLOSE_CODES.goingAway,
      goAway: true,
      terminate: false,
      reconnectAfterMs: 0,
    })
    h.syncer.send([
      { key: 'WorkloadEndpoint/default/c0', value: undefined },
      { key: 'WorkloadEndpoint/default/late', value: makeWep('late') },
    ])
    await waitFor(
      () => h.server.connectionCount === 1 && [...h.server.connections][0]?.mode === 'resume',
      {
        what: 'resumed connection',
      }
    )
    await waitFor(() => sameKeys(client, h) && client.state.has('WorkloadEndpoint/default/late'))
    assert.equal(snapshots, 1, 'no second snapshot')
    assert.equal(h.server.stats.snapshotsBuilt, 1)
  })
})

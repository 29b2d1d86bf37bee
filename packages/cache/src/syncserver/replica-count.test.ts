import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { waitFor } from '@cattail/common/testing'
import { startTestApiServer, type KubeObject } from '@cattail/testapi'
import { startHarness } from '../testing/index.js'
import { ServiceReplicaCounter, readyReplicaCount } from './replica-count.js'
import { DEFAULT_SYNC_SERVER_CONFIG } from './server-config.js'
import { SyncServer } from './sync-server.js'

const SLICES = 'endpointslices.discovery.k8s.io'

function slice(
  name: string,
  service: string,
  eps: readonly (readonly [string, boolean])[]
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace: 'cattail-system',
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    endpoints: eps.map(([ip, ready]) => ({ addresses: [ip], conditions: { ready } })),
    ports: [{ name: 'cattail-cache', port: 5473, protocol: 'TCP' }],
  }
}

void describe('cache replicas from the cache Service endpoints', () => {
  void it('counts distinct ready addresses; junk counts as nothing', () => {
    assert.equal(
      readyReplicaCount({
        items: [
          {
            endpoints: [
              { addresses: ['10.0.0.1'] },
              { addresses: ['10.0.0.2'], conditions: { ready: false } },
            ],
          },
          {
            endpoints: [
              { addresses: ['10.0.0.1'] },
              { addresses: ['10.0.0.3'], conditions: { ready: true } },
            ],
          },
          { endpoints: 'junk' },
          null,
        ],
      }),
      2
    )
    assert.equal(readyReplicaCount(null), 0)
    assert.equal(readyReplicaCount({ items: 'x' }), 0)
  })

  void it('re-reads the EndpointSlices (test API server) and feeds the connection limit', async () => {
    const api = await startTestApiServer()
    const h = await startHarness()
    const counter = new ServiceReplicaCounter(
      {
        kubeconfig: { kind: 'inline', contents: api.kubeconfig() },
        namespace: 'cattail-system',
        service: 'cattail-cache',
        intervalMs: 20,
        requestTimeoutMs: 5000,
      },
      createSilentLogger()
    )
    try {
      api.put(
        SLICES,
        slice('a', 'cattail-cache', [
          ['10.0.0.1', true],
          ['10.0.0.2', true],
          ['10.0.0.9', false],
        ])
      )
      api.put(SLICES, slice('other', 'something-else', [['10.9.9.9', true]]))
      counter.start()
      await waitFor(() => counter.count === 2, { what: 'two ready replicas' })
      const server = new SyncServer(
        { ...DEFAULT_SYNC_SERVER_CONFIG, replicas: 0 },
        h.cache,
        createSilentLogger(),
        { replicaCount: () => counter.count }
      )
      assert.equal(server.replicas, 2)
      api.put(SLICES, slice('b', 'cattail-cache', [['10.0.0.3', true]]))
      await waitFor(() => counter.count === 3, { what: 'a third replica appears' })
      assert.equal(server.replicas, 3)
      // The static flag wins.
      const fixed = new SyncServer(
        { ...DEFAULT_SYNC_SERVER_CONFIG, replicas: 5 },
        h.cache,
        createSilentLogger(),
        { replicaCount: () => counter.count }
      )
      assert.equal(fixed.replicas, 5)
      // A failed list keeps the last count.
      await api.stop()
      const polls = counter.polls
      await waitFor(() => counter.polls > polls + 1)
      assert.equal(counter.count, 3)
    } finally {
      counter.stop()
      await h.stop()
      await api.stop()
    }
  })
})

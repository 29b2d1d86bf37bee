import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { waitFor } from '@cattail/common/testing'
import { FakeSyncServer } from '@cattail/syncproto/testing'
import { parseAgentConfig } from '../config.js'
import { AgentDaemon } from '../daemon.js'
import { blockUpdate, nodeUpdate, poolUpdate } from '../testing/calc-fixtures.js'

void describe('agent with the real SyncClient (loopback, no kernel access)', () => {
  void it('gates on in-sync, holds the dataplane while disconnected and resumes without re-delivery', async () => {
    // Our own node is absent, so the dataplane stays 'waiting' and never touches this kernel.
    const server = await FakeSyncServer.start({
      initial: [
        nodeUpdate('n2', { ip: '198.18.0.2/24', tunnel: '198.19.2.1' }),
        poolUpdate('default', '198.19.0.0/18'),
        blockUpdate('198.19.2.0/26', 'host:n2'),
      ],
    })
    server.setStatus('in-sync')
    const cfg = parseAgentConfig({
      nodeName: 'me',
      policy: 'false', // no kernel access
      cacheAddresses: server.url,
      healthEnabled: 'false',
      metricsEnabled: 'false',
    })
    const daemon = new AgentDaemon(cfg, createSilentLogger())
    const delivered = async (): Promise<number> =>
      (await daemon.metrics.syncUpdates.get()).values[0]?.value ?? 0
    await daemon.start()
    try {
      await waitFor(() => daemon.inSync, { timeoutMs: 10_000, what: 'in sync' })
      await waitFor(async () => (await delivered()) === 3, { what: 'snapshot delivered' })
      await waitFor(() => daemon.dataplane.loop.status === 'waiting', { what: 'dataplane waiting' })
      const cycles = daemon.dataplane.loop.cycles

      server.dropAll()
      await waitFor(() => !daemon.inSync, { timeoutMs: 10_000, what: 'gate closed' })
      await waitFor(() => daemon.inSync, { timeoutMs: 15_000, what: 'reconnected and in sync' })
      assert.equal(await delivered(), 3) // resumed: nothing re-delivered
      assert.equal(daemon.dataplane.manager.dirty, false)

      server.publish([nodeUpdate('n3', { ip: '198.18.0.3/24', tunnel: '198.19.3.1' })])
      await waitFor(async () => (await delivered()) === 4, { what: 'delta delivered' })
      await waitFor(() => daemon.dataplane.loop.cycles > cycles, { what: 'dataplane cycle' })
      assert.ok(daemon.dataplane.manager.lastState?.remotes.has('n3'))
    } finally {
      await daemon.stop()
      await server.stop()
    }
  })
})

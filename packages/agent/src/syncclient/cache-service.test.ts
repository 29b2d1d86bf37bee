import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { tempDir, waitFor } from '@cattail/common/testing'
import { startHarness, type Harness } from '@cattail/cache/testing'
import { startTestApiServer, type KubeObject } from '@cattail/testapi'
import { parseAgentConfig } from '../config.js'
import { AgentDaemon } from '../daemon.js'

/** The cattail-cache Service's only slice, pointing at one cache on 127.0.0.1:`port`. */
const slice = (port: number): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: {
    name: 'cattail-cache-x1',
    namespace: 'cattail-system',
    labels: { 'kubernetes.io/service-name': 'cattail-cache' },
  },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['127.0.0.1'], nodeName: 'me', conditions: { ready: true } }],
  ports: [{ name: 'cattail-cache', port, protocol: 'TCP' }],
})

async function inSyncCache(): Promise<Harness> {
  const h = await startHarness()
  h.syncer.setStatus('in-sync')
  return h
}

void describe('agent with --cache-service (test API server, real cache, no kernel access)', () => {
  void it('finds the cache through the EndpointSlice, reaches in-sync and follows a slice change', async () => {
    const api = await startTestApiServer()
    const dir = await tempDir('ct-agent-svc-')
    const a = await inSyncCache()
    let b: Harness | undefined
    let daemon: AgentDaemon | undefined
    try {
      api.put('endpointslices.discovery.k8s.io', slice(a.server.port))
      const cfg = parseAgentConfig({
        nodeName: 'me',
        policy: 'false', // no kernel access
        cacheService: 'cattail-system/cattail-cache',
        kubeconfig: await api.writeKubeconfig(dir.path),
        healthEnabled: 'false',
        metricsEnabled: 'false',
      })
      daemon = new AgentDaemon(cfg, createSilentLogger())
      await daemon.start()
      const d = daemon
      await waitFor(() => d.inSync, { timeoutMs: 10_000, what: 'in sync via cache a' })
      assert.equal(a.server.connectionCount, 1)

      b = await inSyncCache()
      api.put('endpointslices.discovery.k8s.io', slice(b.server.port))
      await a.stop() // the connection drops; the next round re-lists and finds only b
      await waitFor(() => (b as Harness).server.connectionCount === 1 && d.inSync, {
        timeoutMs: 15_000,
        what: 'reconnected to cache b and in sync',
      })
    } finally {
      await daemon?.stop()
      await b?.stop()
      await a.stop()
      await api.stop()
      await dir.remove()
    }
  })

  void it('a bad kubeconfig fails the start with a ConfigError before anything listens', async () => {
    const cfg = parseAgentConfig({
      nodeName: 'me',
      policy: 'false', // no kernel access
      cacheService: 'cattail-system/cattail-cache',
      kubeconfig: '/nonexistent/ct-agent-kubeconfig.yaml',
      healthPort: '0',
      metricsEnabled: 'false',
    })
    const daemon = new AgentDaemon(cfg, createSilentLogger())
    await assert.rejects(daemon.start(), /--kubeconfig \/nonexistent\/ct-agent-kubeconfig\.yaml/)
    assert.equal(daemon.healthPort, 0, 'no health server was started')
    await daemon.stop()
  })
})

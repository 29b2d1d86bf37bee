import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { Command } from 'commander'
import { ConfigError } from '@cattail/common'
import { waitFor } from '@cattail/common/testing'
import { addFederationOptions, applyConfigFile, parseConfig } from './config.js'
import { service, startTestController, startTestMesh } from './testing/index.js'

async function configOf(args: string[], env: Record<string, string> = {}) {
  const saved = { ...process.env }
  Object.assign(process.env, env)
  try {
    const cmd = addFederationOptions(new Command('federation')).exitOverride()
    cmd.parse(args, { from: 'user' })
    return parseConfig(await applyConfigFile(cmd))
  } finally {
    process.env = saved
  }
}

void describe('cattail federation config and daemon', () => {
  void it('reads flags, CATTAIL_FEDERATION_* env and defaults (health 9096, metrics 9097)', async () => {
    const cfg = await configOf(['--remote-grace-period-ms', '180000', '--lease-name', 'x'], {
      CATTAIL_FEDERATION_SECRETS_NAMESPACE: 'mesh',
    })
    assert.equal(cfg.controller.remoteGracePeriodMs, 180_000)
    assert.equal(cfg.controller.secretsNamespace, 'mesh')
    assert.equal(cfg.lease.name, 'x')
    assert.equal(cfg.health.port, 9096)
    assert.equal(cfg.metrics.port, 9097)
    assert.equal(cfg.kubeconfig, undefined)
  })

  void it('rejects bad values with every problem listed', async () => {
    await assert.rejects(
      configOf(['--lease-duration-ms', '500', '--remote-grace-period-ms', '-1']),
      (err: unknown) =>
        err instanceof ConfigError &&
        /lease-duration-ms/.test(err.message) &&
        /grace/.test(err.message)
    )
  })

  void it('serves /liveness, /readiness and Prometheus metrics', async (t) => {
    const mesh = await startTestMesh(['solo'], ['shop'])
    t.after(() => mesh.stop())
    const api = mesh.api('solo')
    api.put('services', service('shop', 'web', { federate: 'app == "web"' }))
    const c = await startTestController(api, {
      options: {
        healthEnabled: 'true',
        healthHost: '127.0.0.1',
        healthPort: '0',
        metricsEnabled: 'true',
        metricsHost: '127.0.0.1',
        metricsPort: '0',
      },
    })
    t.after(() => c.stop())
    const [health, metrics] = c.daemon.ports
    const get = async (port: number | undefined, path: string) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`)
      return { status: r.status, text: await r.text() }
    }
    assert.equal((await get(health, '/liveness')).status, 200)
    await waitFor(async () => (await get(health, '/readiness')).status === 200, {
      timeoutMs: 10_000,
      what: 'ready',
    })
    await waitFor(() => api.get('endpoints', 'web', 'shop') !== undefined, {
      timeoutMs: 10_000,
      what: 'endpoints',
    })
    const text = (await get(metrics, '/metrics')).text
    for (const m of [
      'cattail_federation_federated_services 1',
      'cattail_federation_backing_services',
      'cattail_federation_addresses_written',
      'cattail_federation_write_duration_seconds_bucket',
      'cattail_federation_errors_total',
      'cattail_federation_is_leader 1',
    ])
      assert.ok(text.includes(m), m)
  })
})

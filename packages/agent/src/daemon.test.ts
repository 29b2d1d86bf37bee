import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { waitFor } from '@cattail/common/testing'
import { agentCommand } from './command.js'
import { parseAgentConfig, type AgentConfig } from './config.js'
import { AgentDaemon, runAgentDaemon, type AgentProcessHooks } from './daemon.js'
import { nodeUpdate } from './testing/calc-fixtures.js'
import type { UpdateSink, UpdateSource } from './syncclient/update-source.js'
import { FakePolicyCalc, desiredOf, netSet } from './testing/fake-policy-calc.js'
import { FakeToolRunner } from './testing/fake-tool-runner.js'

const rawCfg = {
  nodeName: 'me',
  cacheAddresses: 'ws://127.0.0.1:1',
  healthPort: '0',
  metricsPort: '0',
  metricsHost: '127.0.0.1',
  // Without a local VTEP the driver removes what it owns: make sure nothing on this host is ours.
  vxlanDevice: `ctd${process.pid % 100_000}`,
  routeProtocol: '253',
  policy: 'false',
}
const cfg: AgentConfig = parseAgentConfig(rawCfg)

void describe('agent daemon (no kernel access)', () => {
  void it('serves liveness, readiness (with the reason) and metrics; holds the dataplane until in sync', async () => {
    let sink: UpdateSink | undefined
    const source: UpdateSource = { start: () => Promise.resolve(), stop: () => Promise.resolve() }
    const daemon = new AgentDaemon(cfg, createSilentLogger(), (_c, s) => {
      sink = s
      return Promise.resolve(source)
    })
    await daemon.start()
    try {
      const get = async (port: number, path: string): Promise<[number, string]> => {
        const r = await fetch(`http://127.0.0.1:${port}${path}`)
        return [r.status, await r.text()]
      }
      assert.deepEqual(await get(daemon.healthPort, '/liveness'), [200, 'live\n'])
      const [code, body] = await get(daemon.healthPort, '/readiness')
      assert.equal(code, 503)
      assert.match(body, /not in sync/)
      assert.ok(sink)
      // Updates without our own node: the dataplane waits and never touches the kernel.
      sink.onUpdates([nodeUpdate('other', { ip: '198.18.0.2/24', tunnel: '198.19.2.1' })])
      sink.onStatus('in-sync', true)
      await waitFor(() => daemon.dataplane.loop.status === 'waiting')
      assert.match((await get(daemon.healthPort, '/readiness'))[1], /dataplane waiting/)
      const [scode, sbody] = await get(daemon.healthPort, '/status')
      assert.equal(scode, 200)
      assert.deepEqual(JSON.parse(sbody), {
        nodeName: 'me',
        live: true,
        liveness: 'live',
        ready: false,
        readiness: 'dataplane waiting',
        inSync: true,
        connected: true,
        syncStatus: 'in-sync',
        dataplane: 'waiting',
        blockedRoutes: [],
      })
      sink.onStatus('in-sync', false) // disconnected: gate closes
      assert.equal(daemon.inSync, false)
      const [mcode, metrics] = await get(daemon.metricsPort, '/metrics')
      assert.equal(mcode, 200)
      for (const name of [
        'cattail_agent_dataplane_resyncs_total',
        'cattail_agent_dataplane_apply_errors_total',
        'cattail_agent_dataplane_entries',
        'cattail_agent_dataplane_apply_duration_seconds',
        'cattail_agent_netlink_socket_recreations_total',
        'cattail_agent_dataplane_blocked_routes',
        // Standard process metrics, unprefixed (as the cache).
        'process_cpu_user_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_seconds',
      ]) {
        assert.ok(metrics.includes(`\n${name}`), name)
      }
      assert.equal(metrics.includes('cattail_agent_process_'), false)
    } finally {
      await daemon.stop()
    }
  })

  void it('runs the policy dataplane beside VXLAN: gated until in sync, then programmed (fake tools)', async () => {
    let sink: UpdateSink | undefined
    const source: UpdateSource = { start: () => Promise.resolve(), stop: () => Promise.resolve() }
    const calc = new FakePolicyCalc(
      desiredOf({
        ipsets: [netSet('cali40s:a', 4, ['198.19.0.1'])],
        v4: { filter: [{ name: 'cali-INPUT', rules: ['--jump ACCEPT'] }] },
        hooks: [{ table: 'filter', builtin: 'INPUT', target: 'cali-INPUT' }],
      })
    )
    const runner = new FakeToolRunner()
    const daemon = new AgentDaemon(
      parseAgentConfig({ ...rawCfg, policy: 'true', iptablesBackend: 'nft' }),
      createSilentLogger(),
      (_c, s) => {
        sink = s
        return Promise.resolve(source)
      },
      { policyCalcFactory: () => calc, policyRunner: runner }
    )
    await daemon.start()
    try {
      assert.ok(sink && daemon.policy)
      sink.onUpdates([nodeUpdate('other', { ip: '198.18.0.2/24' })])
      assert.equal(calc.updates.length, 1)
      assert.deepEqual(runner.calls, [], 'nothing runs before in-sync (fail-static)')
      sink.onStatus('in-sync', true)
      await waitFor(() => daemon.policy?.loop.status === 'programmed')
      const w = runner.writes()
      assert.equal(w[0]?.args[0], 'restore', 'ipsets first')
      assert.equal(w[1]?.tool, 'iptables-nft-restore')
      assert.match(
        w[1]?.stdin ?? '',
        /-I INPUT 1 -m comment --comment "cali:[^"]{16}" --jump cali-INPUT/
      )
      assert.match(
        await (await fetch(`http://127.0.0.1:${daemon.metricsPort}/metrics`)).text(),
        /cattail_agent_iptables_restores_total 2/
      )
    } finally {
      await daemon.stop()
    }
  })

  void it('agentCommand parses flags and env into a config for its action', async () => {
    let got: AgentConfig | undefined
    const cmd = agentCommand({
      run: (c) => {
        got = c
        return Promise.resolve()
      },
    }).exitOverride()
    await cmd.parseAsync(
      ['--node-name', 'n1', '--cache-addresses', 'ws://a:1,ws://b:2', '--vxlan-mtu', '1400'],
      { from: 'user' }
    )
    assert.equal(got?.nodeName, 'n1')
    assert.deepEqual(got?.cacheAddresses, ['ws://a:1', 'ws://b:2'])
    assert.equal(got?.vxlan.mtu, 1400)
    assert.ok(cmd.helpInformation().includes('--route-protocol'))
  })

  void it('runAgentDaemon: an unhandled rejection or uncaught exception exits 1; SIGTERM stops', async () => {
    const handlers = new Map<string, (arg?: unknown) => void>()
    const exits: number[] = []
    const proc: AgentProcessHooks = {
      exit: (code) => exits.push(code),
      once: (event, fn) => handlers.set(event, fn),
    }
    const source: UpdateSource = { start: () => Promise.resolve(), stop: () => Promise.resolve() }
    const done = runAgentDaemon(cfg, createSilentLogger(), {
      process: proc,
      sourceFactory: () => Promise.resolve(source),
    })
    await waitFor(() => handlers.has('SIGTERM'))
    handlers.get('unhandledRejection')?.(new Error('lost promise'))
    handlers.get('uncaughtException')?.(new Error('thrown'))
    assert.deepEqual(exits, [1, 1])
    handlers.get('SIGTERM')?.()
    await done
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { waitFor } from '@cattail/common/testing'
import { FelixConflictError } from '../errors.js'
import { nodeUpdate } from '../testing/calc-fixtures.js'
import { FakePolicyCalc, desiredOf, netSet } from '../testing/fake-policy-calc.js'
import { FakeToolRunner } from '../testing/fake-tool-runner.js'
import { DEFAULT_DATAPLANE_LOOP_CONFIG } from './dataplane-loop.js'
import { DEFAULT_POLICY_DATAPLANE_CONFIG } from './policy/config.js'
import { createPolicyDataplane } from './policy-dataplane.js'

const desired = desiredOf({
  ipsets: [netSet('cali40s:a', 4, ['198.19.0.1'])],
  v4: { filter: [{ name: 'cali-INPUT', rules: ['--jump ACCEPT'] }] },
  v6: {},
  hooks: [{ table: 'filter', builtin: 'INPUT', target: 'cali-INPUT' }],
})

function build(
  runner: FakeToolRunner,
  calc: FakePolicyCalc,
  onFatal?: (e: FelixConflictError) => void
) {
  return createPolicyDataplane({
    nodeName: 'n1',
    policy: { ...DEFAULT_POLICY_DATAPLANE_CONFIG, iptablesBackend: 'nft', felixGuardRepairs: 2 },
    loop: { ...DEFAULT_DATAPLANE_LOOP_CONFIG, resyncIntervalMs: 0 },
    calcFactory: () => calc,
    log: createSilentLogger(),
    runner,
    ...(onFatal && { onFatal }),
  })
}

describe('policy dataplane (fake tools)', () => {
  it('bad members never reach ipset restore; the rest is programmed', async () => {
    const runner = new FakeToolRunner()
    const calc = new FakePolicyCalc(desired)
    const dp = build(runner, calc)
    await dp.start()
    try {
      dp.loop.setGate(true)
      await waitFor(() => dp.loop.status === 'programmed')
      calc.changeMembers('cali40s:a', ['198.19.0.2', '1.2.3.4\nflush'])
      dp.onUpdates([nodeUpdate('x')])
      await waitFor(() => runner.writes().some((c) => c.stdin.includes('198.19.0.2')))
      const last = runner.writes().at(-1)
      assert.equal(last?.stdin, 'add cali40s:a 198.19.0.2 -exist\n')
      assert.equal(dp.driver.stats.iptablesRestores, 1)
    } finally {
      await dp.stop()
    }
  })

  it('repeated drift of our chains trips the Felix guard: onFatal with a typed error', async () => {
    const runner = new FakeToolRunner()
    const fatal: FelixConflictError[] = []
    const dp = build(runner, new FakePolicyCalc(desired), (e) => fatal.push(e))
    await dp.start()
    try {
      dp.loop.setGate(true)
      await waitFor(() => dp.loop.status === 'programmed')
      // Someone rewrites cali-INPUT (no hash comments any more), again and again.
      runner.outputs.set(
        'iptables-nft-save -t filter',
        '*filter\n:INPUT ACCEPT [0:0]\n:cali-INPUT - [0:0]\n-A INPUT -j cali-INPUT\n-A cali-INPUT -j DROP\nCOMMIT\n'
      )
      dp.loop.requestResync()
      await waitFor(() => dp.driver.stats.driftRepairs === 1 && dp.loop.status === 'programmed')
      assert.equal(fatal.length, 0)
      dp.loop.requestResync()
      await waitFor(() => fatal.length === 1)
      assert.ok(fatal[0] instanceof FelixConflictError)
      assert.match(fatal[0].message, /CALICO_DISABLE_FELIX=true/)
      assert.equal(dp.loop.status, 'error')
    } finally {
      await dp.stop()
    }
  })
})

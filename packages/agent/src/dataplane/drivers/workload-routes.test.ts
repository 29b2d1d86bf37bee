import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { FakeToolRunner } from '../../testing/fake-tool-runner.js'
import { CommandError, CommandTimeoutError } from '../../errors.js'
import { ExecRunner } from './exec.js'
import {
  canonicalDst,
  planWorkloadRoutes,
  readWorkloadRoutes,
  routeProblem,
} from './workload-routes.js'

const log = createSilentLogger()

describe('workload routes', () => {
  it('reads ours (protocol 3 on cali*) apart from foreign destinations', async () => {
    const r = new FakeToolRunner()
    r.outputs.set(
      'ip -j -4 route show table main proto 3',
      JSON.stringify([
        { dst: '198.19.0.5', dev: 'cali1', protocol: 'boot' },
        { dst: '198.19.0.6', dev: 'eth0', protocol: 'boot' },
      ])
    )
    r.outputs.set(
      'ip -j -4 route show table main',
      JSON.stringify([
        { dst: '198.19.0.5', dev: 'cali1' },
        { dst: '198.19.0.6', dev: 'eth0' },
        { dst: 'default', dev: 'eth0' },
      ])
    )
    const v = await readWorkloadRoutes(r, 4, 3, 'cali')
    assert.deepEqual([...v.owned], [['198.19.0.5/32', 'cali1']])
    assert.deepEqual([...v.foreign].sort(), ['198.19.0.6/32', 'default'])
  })
  it('adds missing, moves changed, removes stale ours and skips foreign destinations', () => {
    const view = {
      owned: new Map([
        ['198.19.0.5/32', 'cali1'],
        ['198.19.0.7/32', 'cali7'],
        ['198.19.0.8/32', 'cali8'],
      ]),
      foreign: new Set(['198.19.0.6/32']),
    }
    const p = planWorkloadRoutes(
      4,
      [
        { dst: '198.19.0.5/32', dev: 'cali1', family: 4 },
        { dst: '198.19.0.6/32', dev: 'cali6', family: 4 },
        { dst: '198.19.0.7/32', dev: 'cali9', family: 4 },
        { dst: '198.19.0.9/32', dev: 'cali9', family: 4 },
      ],
      view,
      3,
      log
    )
    assert.deepEqual(p.lines, [
      'route del 198.19.0.7/32 dev cali7 proto 3',
      'route del 198.19.0.8/32 dev cali8 proto 3',
      'route add 198.19.0.7/32 dev cali9 scope link proto 3',
      'route add 198.19.0.9/32 dev cali9 scope link proto 3',
    ])
  })
  it('rejects routes that are not host routes on a workload device', () => {
    assert.equal(routeProblem({ dst: '198.19.0.1/32', dev: 'cali1', family: 4 }, 'cali'), undefined)
    assert.ok(routeProblem({ dst: '198.19.0.0/24', dev: 'cali1', family: 4 }, 'cali'))
    assert.ok(routeProblem({ dst: '198.19.0.1/32', dev: 'eth0', family: 4 }, 'cali'))
    assert.ok(routeProblem({ dst: '198.19.0.1/32', dev: 'cali1; reboot', family: 4 }, 'cali'))
    assert.ok(routeProblem({ dst: '2001:2::1/128', dev: 'cali1', family: 4 }, 'cali'))
    assert.equal(canonicalDst('2001:2::1', 6), '2001:2::1/128')
  })
})

describe('ExecRunner', () => {
  it('kills a tool at its deadline and reports a CommandTimeoutError', async () => {
    await assert.rejects(new ExecRunner(undefined, 100).run('sleep', ['30']), (err: unknown) => {
      assert.ok(err instanceof CommandTimeoutError)
      assert.match(err.message, /did not finish within 100 ms/)
      return true
    })
  })
  it('reports a failing tool as a CommandError with its stderr', async () => {
    await assert.rejects(
      new ExecRunner().run('sh', ['-c', 'echo nope >&2; exit 3']),
      (err: unknown) => {
        assert.ok(err instanceof CommandError)
        assert.equal(err.exitCode, 3)
        assert.match(err.message, /nope/)
        return true
      }
    )
  })
  it('feeds stdin and returns stdout', async () => {
    assert.equal(await new ExecRunner().run('cat', [], { stdin: 'x\n' }), 'x\n')
  })
})

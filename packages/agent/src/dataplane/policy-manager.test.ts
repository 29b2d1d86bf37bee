import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import pino from 'pino'
import type { IpsetMemberDelta, PolicyDesired } from '../calc/policy/contract.js'
import { FakePolicyCalc, desiredOf, netSet } from '../testing/fake-policy-calc.js'
import type { PolicyDriver } from './drivers/policy-driver.js'
import type { ApplyResult } from './types.js'
import { PolicyManager } from './policy-manager.js'
import { nodeUpdate } from '../testing/calc-fixtures.js'

class RecordingDriver implements PolicyDriver {
  readonly calls: string[] = []
  desired: PolicyDesired | undefined
  deltas: ReadonlyMap<string, IpsetMemberDelta>[] = []
  setDesired(d: PolicyDesired): void {
    this.calls.push('setDesired')
    this.desired = d
  }
  addMemberDeltas(m: ReadonlyMap<string, IpsetMemberDelta>): void {
    this.calls.push('deltas')
    this.deltas.push(m)
  }
  markForResync(): void {
    this.calls.push('resync')
  }
  apply(): Promise<ApplyResult> {
    return Promise.resolve({ status: 'programmed', changes: 0, mode: 'none', resynced: false })
  }
}

const log = pino({ level: 'silent' })

describe('PolicyManager', () => {
  it('hands over the desired state first, then member deltas alone, then structural changes', () => {
    const calc = new FakePolicyCalc(desiredOf({ ipsets: [netSet('cali40s:a', 4, ['198.19.0.1'])] }))
    const driver = new RecordingDriver()
    const problems: number[] = []
    const m = new PolicyManager(calc, driver, log, (p) => problems.push(p.length))
    m.completeDeferredWork()
    assert.deepEqual(driver.calls, ['setDesired'])
    m.completeDeferredWork() // nothing new
    assert.deepEqual(driver.calls, ['setDesired'])
    m.onUpdate(nodeUpdate('n1', { ip: '198.18.0.1/24' }))
    assert.equal(calc.updates.length, 1)
    calc.changeMembers('cali40s:a', ['198.19.0.2'], ['198.19.0.1'])
    m.completeDeferredWork()
    assert.deepEqual(driver.calls, ['setDesired', 'deltas'])
    assert.deepEqual(driver.deltas[0]?.get('cali40s:a'), {
      add: ['198.19.0.2'],
      del: ['198.19.0.1'],
    })
    m.onUpdate(nodeUpdate('n1', { ip: '198.18.0.1/24' }))
    calc.setDesired(desiredOf({}), [{ key: 'np/x', reason: 'bad selector' }])
    m.completeDeferredWork()
    assert.deepEqual(driver.calls, ['setDesired', 'deltas', 'setDesired'])
    assert.deepEqual(problems, [0, 1])
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { waitFor } from '@cattail/common/testing'
import { nodeUpdate } from '../testing/calc-fixtures.js'
import { FakeVxlanDriver } from '../testing/fake-drivers.js'
import { DataplaneLoop } from './dataplane-loop.js'
import { VxlanManager } from './vxlan-manager.js'

const log = createSilentLogger()
const cfg = {
  resyncIntervalMs: 60_000,
  retryBackoff: { initialMs: 1, maxMs: 5, factor: 2, jitter: 0 },
  watchdogTimeoutMs: 30_000,
}

void describe('dataplane loop', () => {
  void it('programs nothing until the gate opens, then resyncs once at start', async () => {
    const driver = new FakeVxlanDriver()
    const mgr = new VxlanManager('me', driver, log)
    const loop = new DataplaneLoop(cfg, [mgr], driver, log)
    await loop.start()
    try {
      mgr.onUpdate(nodeUpdate('me', { ip: '198.18.0.1/24', tunnel: '198.19.0.1' }))
      loop.kick()
      await waitFor(() => loop.status === 'gated')
      assert.equal(driver.applied, 0)
      loop.setGate(true)
      await waitFor(() => loop.status === 'programmed')
      assert.deepEqual(driver.calls.slice(0, 3), ['setDesired', 'markForResync', 'apply'])
      loop.kick()
      await waitFor(() => driver.applied === 2)
      assert.equal(driver.resyncs, 1) // not again before the interval
    } finally {
      await loop.stop()
    }
  })

  void it('a failed apply marks a resync and retries after backoff', async () => {
    const driver = new FakeVxlanDriver()
    const mgr = new VxlanManager('me', driver, log)
    mgr.onUpdate(nodeUpdate('me', { ip: '198.18.0.1/24', tunnel: '198.19.0.1' }))
    const errors: unknown[] = []
    const loop = new DataplaneLoop(cfg, [mgr], driver, log, { onError: (e) => errors.push(e) })
    driver.failNext = new Error('boom')
    await loop.start()
    try {
      loop.setGate(true)
      await waitFor(() => loop.status === 'programmed')
      assert.equal(errors.length, 1)
      assert.ok(driver.resyncs >= 2)
    } finally {
      await loop.stop()
    }
  })

  void it('resyncs periodically and holds everything while the gate is closed (fail-static)', async () => {
    const driver = new FakeVxlanDriver()
    const mgr = new VxlanManager('me', driver, log)
    mgr.onUpdate(nodeUpdate('me', { ip: '198.18.0.1/24', tunnel: '198.19.0.1' }))
    const loop = new DataplaneLoop({ ...cfg, resyncIntervalMs: 20 }, [mgr], driver, log)
    await loop.start()
    try {
      loop.setGate(true)
      await waitFor(() => driver.resyncs >= 3, { what: 'periodic resyncs' })
      loop.setGate(false)
      const applied = driver.applied
      const calls = driver.calls.length
      mgr.onUpdate(nodeUpdate('n2', { ip: '198.18.0.2/24', tunnel: '198.19.2.1' }))
      loop.kick()
      await new Promise<void>((r) => setImmediate(r)) // one turn for the loop to see the kick
      assert.equal(driver.applied, applied)
      assert.equal(driver.calls.length, calls) // no compute, no resync, no apply while closed
      loop.setGate(true)
      await waitFor(() => driver.desired?.remotes.has('n2') === true && driver.applied > applied)
    } finally {
      await loop.stop()
    }
  })

  void it('an apply that hangs makes liveness fail once it outlives the watchdog', async () => {
    const driver = new FakeVxlanDriver()
    driver.hang = true
    const mgr = new VxlanManager('me', driver, log)
    mgr.onUpdate(nodeUpdate('me', { ip: '198.18.0.1/24', tunnel: '198.19.0.1' }))
    const loop = new DataplaneLoop(cfg, [mgr], driver, log)
    await loop.start()
    try {
      assert.deepEqual(loop.liveness(), { ok: true, detail: 'live' })
      loop.setGate(true)
      await waitFor(() => driver.calls.includes('apply'))
      assert.equal(loop.liveness().ok, true) // within the bound
      const later = loop.liveness(Date.now() + cfg.watchdogTimeoutMs + 1000)
      assert.equal(later.ok, false)
      assert.match(later.detail, /dataplane apply running for \d+ ms \(watchdog 30000 ms\)/)
    } finally {
      await loop.stop()
    }
    // After the hung apply was abandoned, liveness recovers.
    assert.equal(loop.liveness(Date.now() + cfg.watchdogTimeoutMs + 1000).ok, true)
  })
})

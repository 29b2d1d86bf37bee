import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { computeMaxConnections, shutdownDropIntervalMs } from './connection-limits.js'

void describe('computeMaxConnections (Typha rebalance formula)', () => {
  const base = { lower: 0, upper: 10_000, syncerTypes: 3 }
  void it("matches Typha's example: 5 replicas, 100 nodes, 3 syncer types → 93", () => {
    assert.equal(computeMaxConnections({ ...base, nodes: 100, replicas: 5 }), 93)
  })
  void it('a lone replica (or an unknown count) gets the upper limit', () => {
    assert.equal(computeMaxConnections({ ...base, nodes: 100, replicas: 1 }), 10_000)
    assert.equal(computeMaxConnections({ ...base, nodes: 100, replicas: 0 }), 10_000)
  })
  void it('never goes below the lower or above the upper limit', () => {
    assert.equal(computeMaxConnections({ ...base, lower: 400, nodes: 10, replicas: 3 }), 400)
    assert.equal(computeMaxConnections({ ...base, upper: 500, nodes: 100_000, replicas: 2 }), 500)
  })
  void it('one syncer type: 1000 nodes over 3 replicas → 1 + 1000×1.2/2 = 601', () => {
    assert.equal(
      computeMaxConnections({
        lower: 400,
        upper: 10_000,
        syncerTypes: 1,
        nodes: 1000,
        replicas: 3,
      }),
      601
    )
  })
})

void describe('shutdownDropIntervalMs', () => {
  void it('spreads over 95% of the timeout, capped at the max interval', () => {
    assert.equal(shutdownDropIntervalMs(300_000, 1000, 1000), 285)
    assert.equal(shutdownDropIntervalMs(300_000, 5, 1000), 1000)
    assert.equal(shutdownDropIntervalMs(2500, 5, 1000), 475)
    assert.equal(shutdownDropIntervalMs(1000, 0, 1000), 0)
  })
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Backoff } from './backoff.js'

describe('Backoff', () => {
  it('grows by the factor up to the cap and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 350, factor: 2, jitter: 0 })
    assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [100, 200, 350, 350])
    b.reset()
    assert.equal(b.next(), 100)
  })

  it('keeps jittered delays within the jitter band', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 1000, factor: 2, jitter: 0.2 }, () => 0.999)
    const d = b.next()
    assert.ok(d >= 800 && d <= 1200, `delay ${d}`)
  })
})

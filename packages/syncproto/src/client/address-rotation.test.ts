import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { AddressRotation } from './address-rotation.js'

void describe('AddressRotation rounds from a provider', () => {
  void it('keeps the given order, drops duplicates and is done after the last address', () => {
    const rot = new AddressRotation([])
    assert.equal(rot.roundDone, true)
    rot.startRound(['a', 'b', 'a', 'c'])
    assert.equal(rot.roundDone, false)
    assert.deepEqual([rot.next(), rot.next(), rot.next()], ['a', 'b', 'c'])
    assert.equal(rot.roundDone, true)
  })

  void it('never starts a round with the address handed out last', () => {
    const rot = new AddressRotation([])
    rot.startRound(['a', 'b'])
    assert.equal(rot.next(), 'a')
    rot.startRound(['a', 'b', 'c'])
    assert.deepEqual([rot.next(), rot.next(), rot.next()], ['b', 'c', 'a'])
    rot.startRound(['a'])
    assert.equal(rot.next(), 'a', 'a lone address is still handed out')
  })

  void it('endRound drops the rest of a round', () => {
    const rot = new AddressRotation([])
    rot.startRound(['a', 'b'])
    rot.next()
    rot.endRound()
    assert.equal(rot.roundDone, true)
  })

  void it('without static addresses and no round, next() throws', () => {
    assert.throws(() => new AddressRotation([]).next(), RangeError)
  })

  void it('falls back to shuffled static rounds when no round was started', () => {
    const rot = new AddressRotation(['x', 'y'], () => 0.99)
    rot.startRound(['a'])
    assert.deepEqual([rot.next(), rot.next(), rot.next()], ['a', 'x', 'y'])
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { hashedRule, ruleHashes } from './iptables-hash.js'

describe('ruleHashes (Felix table_test.go vectors, verbatim)', () => {
  it('chains hashes through the rules of FORWARD', () => {
    assert.deepEqual(
      ruleHashes('FORWARD', ['--jump DROP', '--jump ACCEPT', '--jump DROP', '--jump ACCEPT']),
      ['hecdSCslEjdBPBPo', 'plvr29-ZiKUwbzDV', 'BMJ7gfua-eMLZ8Gu', 'rmnR1gc8haxMy_0W']
    )
  })
  it('hashes the insert FORWARD -j cali-FORWARD', () => {
    assert.deepEqual(ruleHashes('FORWARD', ['--jump cali-FORWARD']), ['wUHhoiAYhphO9Mso'])
  })
  it('gives different hashes to the same rule in another chain or position', () => {
    const [a] = ruleHashes('cali-a', ['--jump DROP'])
    const [b] = ruleHashes('cali-b', ['--jump DROP'])
    const [, c] = ruleHashes('cali-a', ['--jump DROP', '--jump DROP'])
    assert.notEqual(a, b)
    assert.notEqual(a, c)
  })
  it('renders the hash comment first', () => {
    assert.equal(hashedRule('abc', '--jump DROP'), '-m comment --comment "cali:abc" --jump DROP')
  })
})

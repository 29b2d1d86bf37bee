import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import type { IpsetSpec } from '../../calc/policy/contract.js'
import { parseIpsetSave, planIpsets } from './ipset-plan.js'

const SAVE = `create cali40s:a hash:net family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x1
add cali40s:a 198.19.0.1
add cali40s:a 198.19.0.0/26
create cali40stale hash:net family inet hashsize 1024 maxelem 1048576
create other hash:ip family inet hashsize 1024 maxelem 65536
add other 10.0.0.1
create cali60s:b hash:net family inet6 hashsize 1024 maxelem 65536
`
const set = (name: string, members: string[], family: 4 | 6 = 4): IpsetSpec => ({
  name,
  family,
  type: 'hash:net',
  members: new Set(members),
})

describe('ipset planning', () => {
  it('parses owned sets only, members canonical', () => {
    const s = parseIpsetSave(SAVE)
    assert.deepEqual([...s.keys()].sort(), ['cali40s:a', 'cali40stale', 'cali60s:b'])
    assert.deepEqual([...(s.get('cali40s:a')?.members ?? [])], ['198.19.0.1', '198.19.0.0/26'])
    assert.equal(s.get('cali60s:b')?.family, 6)
  })
  it('adds/deletes members, creates before and destroys after, swaps on a size change', () => {
    const p = planIpsets(
      new Map([
        ['cali40s:a', set('cali40s:a', ['198.19.0.1/32', '198.19.0.9'])],
        ['cali40s:new', set('cali40s:new', ['198.19.1.1'])],
        ['cali60s:b', set('cali60s:b', ['2001:2::1/128'], 6)],
      ]),
      parseIpsetSave(SAVE)
    )
    assert.deepEqual(
      p.before,
      [
        'del cali40s:a 198.19.0.0/26 -exist',
        'add cali40s:a 198.19.0.9 -exist',
        'create cali40s:new hash:net family inet maxelem 1048576',
        'add cali40s:new 198.19.1.1',
        'create cali6t0 hash:net family inet6 maxelem 1048576',
        'add cali6t0 2001:2::1',
        'swap cali60s:b cali6t0',
        'destroy cali6t0',
      ].sort((a, b) => p.before.indexOf(a) - p.before.indexOf(b))
    )
    assert.equal(p.before.length, 8)
    assert.deepEqual(p.after, ['destroy cali40stale'])
  })
  it('writes nothing when equal', () => {
    const actual = parseIpsetSave(SAVE)
    const p = planIpsets(
      new Map([
        ['cali40s:a', set('cali40s:a', ['198.19.0.1', '198.19.0.0/26'])],
        ['cali40stale', set('cali40stale', [])],
      ]),
      new Map([...actual].filter(([k]) => k !== 'cali60s:b'))
    )
    assert.deepEqual([p.before, p.after], [[], []])
  })
  it('skips members and names that could inject into the restore stream', () => {
    const p = planIpsets(
      new Map([
        ['cali40s:x', set('cali40s:x', ['198.19.0.1\ndestroy other', '198.19.0.2'])],
        ['cali40 bad', set('cali40 bad', [])],
      ]),
      new Map()
    )
    assert.deepEqual(p.before, [
      'create cali40s:x hash:net family inet maxelem 1048576',
      'add cali40s:x 198.19.0.2',
    ])
    assert.equal(p.skipped.length, 2)
  })
})

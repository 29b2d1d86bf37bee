import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import type { IPPool } from '@cattail/model'
import { canonicalJson, EmittedState } from './dedupe.js'

const pool = (name: string, rv: string, nat = true): IPPool => ({
  kind: 'IPPool',
  metadata: { name, resourceVersion: rv },
  spec: {
    cidr: '198.19.0.0/16',
    vxlanMode: 'Always',
    ipipMode: 'Never',
    natOutgoing: nat,
    disabled: false,
  },
})

void describe('EmittedState', () => {
  void it('ignores resourceVersion and key order when comparing', () => {
    const a = pool('a', '1')
    const b = {
      spec: { ...a.spec },
      metadata: { resourceVersion: '9', name: 'a' },
      kind: 'IPPool',
    } as IPPool
    assert.equal(canonicalJson(a), canonicalJson(b))
  })

  void it('emits a change once, never a no-op, and deletes only present keys', () => {
    const s = new EmittedState()
    assert.ok(s.apply('IPPool/a', pool('a', '1'), '1'))
    assert.equal(s.apply('IPPool/a', pool('a', '2'), '2'), undefined)
    assert.deepEqual(s.apply('IPPool/a', pool('a', '3', false), '3')?.revision, '3')
    assert.deepEqual(s.apply('IPPool/a', undefined, '4'), {
      key: 'IPPool/a',
      value: undefined,
      revision: '4',
    })
    assert.equal(s.apply('IPPool/a', undefined, '5'), undefined)
  })

  void it('a resync emits new and changed keys, then deletions for vanished in-scope keys', () => {
    const s = new EmittedState()
    s.apply('IPPool/a', pool('a', '1'), '1')
    s.apply('IPPool/b', pool('b', '1'), '1')
    s.apply('Tier/t', { kind: 'Tier', metadata: { name: 't' }, spec: {} }, '1')
    const got = s.resync(
      new Map([
        ['IPPool/a', pool('a', '7')],
        ['IPPool/c', pool('c', '7')],
      ]),
      '7',
      (k) => k.startsWith('IPPool/')
    )
    assert.deepEqual(
      got.map((u) => `${u.value === undefined ? '-' : '+'}${u.key}`),
      ['+IPPool/c', '-IPPool/b']
    )
    assert.ok(s.has('Tier/t'), 'out-of-scope keys survive')
    assert.equal(s.size, 3)
  })
})

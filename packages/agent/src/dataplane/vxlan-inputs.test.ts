import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { blockSpec, poolSpec } from '../testing/calc-fixtures.js'
import {
  projectBlock,
  projectNode,
  projectPool,
  sameBlock,
  sameNode,
  samePool,
} from './vxlan-inputs.js'

const block = (spec: object) => projectBlock('IPAMBlock/b', undefined, { spec })!
const pool = (spec: object) => projectPool('IPPool/p', undefined, { spec })!
const node = (spec: object) => projectNode('n', 'n', undefined, { spec })

void describe('vxlan manager inputs', () => {
  void it('sees every field the calc reads change, and nothing else', () => {
    const b = blockSpec('198.19.0.0/30', 'host:n1', { 1: 'n2' })
    assert.ok(sameBlock(block(b), block({ ...b, extra: 1 })))
    assert.ok(!sameBlock(block(b), block({ ...b, affinity: 'host:n3' })))
    assert.ok(!sameBlock(block(b), block({ ...b, allocations: [null, null, null, null] })))
    assert.ok(!sameBlock(block(b), block(blockSpec('198.19.0.0/30', 'host:n1', { 1: 'n4' }))))
    const p = poolSpec('198.19.0.0/16')
    assert.ok(samePool(pool(p), pool({ ...p, blockSize: 26 })))
    assert.ok(!samePool(pool(p), pool({ ...p, vxlanMode: 'CrossSubnet' })))
    assert.ok(!samePool(pool(p), pool({ ...p, allowedUses: ['LoadBalancer'] })))
    const n = { bgp: { ipv4Address: '198.18.0.1/24' }, ipv4VXLANTunnelAddr: '198.19.0.1' }
    assert.ok(sameNode(node(n), node({ ...n, orchRefs: [] })))
    assert.ok(!sameNode(node(n), node({ ...n, vxlanTunnelMACAddr: '66:00:00:00:00:01' })))
    assert.ok(!sameNode(node(n), node({ ...n, bgp: { ipv4Address: '198.18.0.2/24' } })))
  })

  void it('sanitises malformed values instead of throwing', () => {
    assert.equal(projectBlock('k', undefined, { spec: { affinity: 'host:x' } }), undefined)
    const b = block({
      cidr: '198.19.0.0/30',
      affinity: 'host:n1',
      allocations: [1, 'x', 2],
      attributes: [null, { secondary: { node: 'n2' } }, { secondary: 7 }],
    })
    assert.deepEqual(b.spec.allocations, [1, null, 2])
    assert.deepEqual(b.spec.attributes, [{}, { secondary: { node: 'n2' } }, {}])
    assert.deepEqual(node({ bgp: 5, ipv4VXLANTunnelAddr: 9 }).spec, {})
  })

  void it('keeps no allocations for a block without borrowed addresses (the calc reads none)', () => {
    const own = block(blockSpec('198.19.0.0/30', 'host:n1', { 1: 'n1' }))
    assert.deepEqual(own.spec.allocations, [])
    assert.deepEqual(own.spec.attributes, [])
    const borrowed = block(blockSpec('198.19.0.0/30', 'host:n1', { 1: 'n2' }))
    assert.ok(borrowed.spec.allocations.length > 0)
  })
})

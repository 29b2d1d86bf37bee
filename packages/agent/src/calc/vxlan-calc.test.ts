import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { blockInput, nodeInput, poolInput } from '../testing/calc-fixtures.js'
import type { NodeInput } from './types.js'
import { VxlanCalc, computeVxlanState } from './vxlan-calc.js'
import { VtepCalc, computeVtep } from './vtep-calc.js'
import { RouteCalc, prepareBlock } from './route-calc.js'
import { patchRemoteNodes } from './vxlan-patch.js'

const ME = 'me'
const nodes = (): NodeInput[] => [
  nodeInput(ME, { ip: '198.18.0.1/24', tunnel: '198.19.0.1' }),
  nodeInput('n2', { ip: '198.18.0.2/24', tunnel: '198.19.2.1' }),
  nodeInput('n1', { cluster: 'b', ip: '198.18.4.1/24', tunnel: '198.19.64.1' }),
]
const pools = [poolInput('198.19.0.0/18'), poolInput('198.19.64.0/18', { cluster: 'b' })]
const blocks = [
  blockInput('198.19.0.0/26', `host:${ME}`),
  blockInput('198.19.2.0/26', 'host:n2'),
  blockInput('198.19.64.0/26', 'host:b/n1', { cluster: 'b' }),
]

void describe('vxlan calc memos (owned, not module state)', () => {
  void it('VtepCalc and RouteCalc reuse a result by input identity and equal the plain functions', () => {
    const n = nodes()[1]!
    const vc = new VtepCalc()
    assert.equal(vc.vtep(n), vc.vtep(n))
    assert.deepEqual(vc.vtep(n), computeVtep(n))
    // A second owner computes its own result: nothing is shared between instances.
    assert.notEqual(new VtepCalc().vtep(n), vc.vtep(n))
    const b = blocks[1]!
    const rc = new RouteCalc()
    assert.equal(rc.prepareBlock(b), rc.prepareBlock(b))
    assert.deepEqual(rc.prepareBlock(b), prepareBlock(b))
    assert.notEqual(new RouteCalc().prepareBlock(b), rc.prepareBlock(b))
  })

  void it('VxlanCalc computes what computeVxlanState computes, and patches like patchRemoteNodes', () => {
    const input = { localNodeId: ME, nodes: nodes(), pools, blocks }
    const calc = new VxlanCalc()
    const a = calc.computeVxlanState(input)
    const b = computeVxlanState(input)
    assert.deepEqual(
      { fdb: a.fdb, arp: a.arp, routes: a.routes, local: a.local },
      { fdb: b.fdb, arp: b.arp, routes: b.routes, local: b.local }
    )
    calc.indexCandidates(a.candidates)
    const moved = new Map([['n2', nodeInput('n2', { ip: '198.18.0.9/24', tunnel: '198.19.2.1' })]])
    const ka = calc.patchRemoteNodes(a, moved, ME)
    const kb = patchRemoteNodes(b, moved, ME)
    assert.ok(ka !== undefined && kb !== undefined)
    assert.deepEqual(ka, kb)
    assert.deepEqual(a.fdb, b.fdb)
    assert.equal([...a.fdb.values()].includes('198.18.0.9'), true)
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { nodeInput } from '../testing/calc-fixtures.js'
import { vtepMacForNode } from './mac.js'
import { computeVtep, computeVteps } from './vtep-calc.js'

void describe('vtep calc', () => {
  const table: { name: string; input: Parameters<typeof nodeInput>; vtep: boolean }[] = [
    {
      name: 'complete node',
      input: ['n1', { ip: '198.18.0.1/24', tunnel: '198.19.0.1' }],
      vtep: true,
    },
    { name: 'no node IP', input: ['n1', { tunnel: '198.19.0.1' }], vtep: false },
    { name: 'no tunnel IP', input: ['n1', { ip: '198.18.0.1/24' }], vtep: false },
    { name: 'bad node IP', input: ['n1', { ip: 'nope', tunnel: '198.19.0.1' }], vtep: false },
    { name: 'bad tunnel IP', input: ['n1', { ip: '198.18.0.1', tunnel: '198.19.0' }], vtep: false },
    {
      name: 'bad published MAC',
      input: ['n1', { ip: '198.18.0.1', tunnel: '198.19.0.1', mac: 'xx' }],
      vtep: false,
    },
  ]
  for (const t of table) {
    void it(`completeness: ${t.name} → ${t.vtep ? 'VTEP' : 'no VTEP'}`, () => {
      assert.equal('vtep' in computeVtep(nodeInput(...t.input)), t.vtep)
    })
  }

  void it('drops the prefix of the node IP and keeps the subnet', () => {
    const r = computeVtep(nodeInput('n1', { ip: '198.18.0.1/24', tunnel: '198.19.0.1' }))
    assert.ok('vtep' in r)
    assert.equal(r.vtep.nodeIp, '198.18.0.1')
    assert.equal(r.vtep.nodeSubnet, '198.18.0.0/24')
    assert.equal(r.vtep.mac, vtepMacForNode('n1'))
  })

  void it('uses the published MAC (normalized) over the derived one', () => {
    const r = computeVtep(
      nodeInput('n1', { ip: '198.18.0.1', tunnel: '198.19.0.1', mac: '66:AA:BB:CC:DD:EE' })
    )
    assert.ok('vtep' in r)
    assert.equal(r.vtep.mac, '66:aa:bb:cc:dd:ee')
  })

  void it('remote nodes keep their prefixed identity but hash the unprefixed name', () => {
    const r = computeVtep(
      nodeInput('remotehostname', { cluster: 'b', ip: '198.18.1.1', tunnel: '198.19.1.1' })
    )
    assert.ok('vtep' in r)
    assert.equal(r.vtep.node, 'b/remotehostname')
    assert.equal(r.vtep.mac, '66:3e:ca:a4:db:65')
  })

  void it('MAC conflicts: local beats remote, remote clusters by name; order does not matter', () => {
    const nodes = [
      nodeInput('n2', { cluster: 'c', ip: '198.18.0.4', tunnel: '198.19.4.1' }),
      nodeInput('n2', { cluster: 'b', ip: '198.18.0.3', tunnel: '198.19.3.1' }),
      nodeInput('n2', { ip: '198.18.0.2', tunnel: '198.19.2.1' }),
      nodeInput('n1', { ip: '198.18.0.1', tunnel: '198.19.1.1' }),
      nodeInput('x', { cluster: 'b', ip: '198.18.0.5', tunnel: '198.19.1.1' }), // steals our tunnel IP
    ]
    const a = computeVteps(nodes, 'n1')
    const b = computeVteps([...nodes].reverse(), 'n1')
    assert.deepEqual([...a.remotes.keys()], ['n2'])
    assert.equal(a.local?.node, 'n1')
    assert.deepEqual(a, b)
    assert.equal(a.problems.length, 3)
  })
})

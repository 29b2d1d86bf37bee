import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { blockInput, nodeInput, poolInput } from '../testing/calc-fixtures.js'
import type { BlockInput, NodeInput, PoolInput, RouteSpec } from './types.js'
import { computeVxlanState } from './vxlan-calc.js'

const ME = 'me'
const baseNodes: NodeInput[] = [
  nodeInput(ME, { ip: '198.18.0.1/24', tunnel: '198.19.0.1' }),
  nodeInput('n2', { ip: '198.18.0.2/24', tunnel: '198.19.2.1' }), // same subnet as me
  nodeInput('n3', { ip: '198.18.3.3/24', tunnel: '198.19.3.1' }), // other subnet
  nodeInput('n1', { cluster: 'b', ip: '198.18.4.1/24', tunnel: '198.19.64.1' }),
  nodeInput('n9', { cluster: 'c', ip: '198.18.5.1/24', tunnel: '198.19.128.1' }),
]

function routes(
  pools: PoolInput[],
  blocks: BlockInput[],
  nodes = baseNodes
): Record<string, string> {
  const st = computeVxlanState({ localNodeId: ME, nodes, pools, blocks })
  const out: Record<string, string> = {}
  for (const [dst, r] of st.routes) out[dst] = render(r)
  return out
}
function render(r: RouteSpec): string {
  switch (r.kind) {
    case 'blackhole':
      return 'blackhole'
    case 'vxlan':
      return `vxlan via ${r.gateway} (${r.node})`
    case 'noencap':
      return `noencap via ${r.gateway} (${r.node})`
  }
}

void describe('route calc', () => {
  const table: {
    name: string
    pools: PoolInput[]
    blocks: BlockInput[]
    want: Record<string, string>
  }[] = [
    {
      name: 'Always: remote blocks via the tunnel, my block blackholed',
      pools: [poolInput('198.19.0.0/18')],
      blocks: [
        blockInput('198.19.0.0/26', `host:${ME}`),
        blockInput('198.19.2.0/26', 'host:n2'),
        blockInput('198.19.3.0/26', 'host:n3'),
      ],
      want: {
        '198.19.0.0/26': 'blackhole',
        '198.19.2.0/26': 'vxlan via 198.19.2.1 (n2)',
        '198.19.3.0/26': 'vxlan via 198.19.3.1 (n3)',
      },
    },
    {
      name: 'CrossSubnet: same subnet unencapsulated via the node IP, others via the tunnel',
      pools: [poolInput('198.19.0.0/18', { mode: 'CrossSubnet' })],
      blocks: [blockInput('198.19.2.0/26', 'host:n2'), blockInput('198.19.3.0/26', 'host:n3')],
      want: {
        '198.19.2.0/26': 'noencap via 198.18.0.2 (n2)',
        '198.19.3.0/26': 'vxlan via 198.19.3.1 (n3)',
      },
    },
    {
      name: 'Never pools, LB-only pools and blocks without a pool produce nothing',
      pools: [
        poolInput('198.19.0.0/24', { mode: 'Never' }),
        poolInput('198.19.3.0/24', { lbOnly: true }),
      ],
      blocks: [
        blockInput('198.19.0.0/26', `host:${ME}`),
        blockInput('198.19.2.0/26', 'host:n2'),
        blockInput('198.19.3.0/26', 'host:n3'),
      ],
      want: {},
    },
    {
      name: 'no VTEP for the target node → no route; no affinity → no block route',
      pools: [poolInput('198.19.0.0/18')],
      blocks: [blockInput('198.19.5.0/26', 'host:ghost'), blockInput('198.19.6.0/26', undefined)],
      want: {},
    },
    {
      name: 'borrowed addresses route as /32 to their owner, not to the block host, not to me',
      pools: [poolInput('198.19.0.0/18')],
      blocks: [
        blockInput('198.19.2.0/26', 'host:n2', { borrowed: { 5: 'n3', 6: 'n2', 7: ME } }),
        blockInput('198.19.0.0/26', `host:${ME}`, { borrowed: { 9: 'n2' } }),
        blockInput('198.19.6.0/26', undefined, { borrowed: { 1: 'n3' } }),
      ],
      want: {
        '198.19.0.0/26': 'blackhole',
        '198.19.0.9/32': 'vxlan via 198.19.2.1 (n2)',
        '198.19.2.0/26': 'vxlan via 198.19.2.1 (n2)',
        '198.19.2.5/32': 'vxlan via 198.19.3.1 (n3)',
        '198.19.6.1/32': 'vxlan via 198.19.3.1 (n3)',
      },
    },
    {
      name: 'remote blocks use their own pools and prefixed affinities',
      pools: [poolInput('198.19.0.0/18'), poolInput('198.19.64.0/18', { cluster: 'b' })],
      blocks: [
        blockInput('198.19.64.0/26', 'host:b/n1', { cluster: 'b', borrowed: { 3: 'n1' } }),
        // A bare secondary.node from cluster b means b/<name>.
        blockInput('198.19.65.0/26', 'host:b/other', { cluster: 'b', borrowed: { 4: 'n1' } }),
        // A remote block outside every remote pool: never routed via a LOCAL pool.
        blockInput('198.19.30.0/26', 'host:b/n1', { cluster: 'b' }),
      ],
      want: {
        '198.19.64.0/26': 'vxlan via 198.19.64.1 (b/n1)',
        '198.19.65.4/32': 'vxlan via 198.19.64.1 (b/n1)',
      },
    },
    {
      name: 'overlap: local wins over remote, and remote clusters rank by name',
      pools: [
        poolInput('198.19.0.0/18'),
        poolInput('198.19.0.0/16', { cluster: 'b' }),
        poolInput('198.19.128.0/17', { cluster: 'c' }),
      ],
      blocks: [
        blockInput('198.19.2.0/26', 'host:n2'),
        blockInput('198.19.2.0/26', 'host:b/n1', { cluster: 'b' }), // same CIDR as local: dropped
        blockInput('198.19.1.0/24', 'host:b/n1', { cluster: 'b' }), // inside a local pool: dropped
        blockInput('198.19.64.0/26', 'host:b/n1', { cluster: 'b' }), // free space: kept
        blockInput('198.19.128.0/26', 'host:c/n9', { cluster: 'c' }), // inside b's pool: dropped
        blockInput('198.19.200.0/26', 'host:c/n9', { cluster: 'c' }), // inside b's pool: dropped
      ],
      want: {
        '198.19.2.0/26': 'vxlan via 198.19.2.1 (n2)',
        '198.19.64.0/26': 'vxlan via 198.19.64.1 (b/n1)',
      },
    },
    {
      name: 'no blackhole for a /32 block of ours (the CNI routes the pod there); remote /32s route',
      pools: [poolInput('198.19.0.0/18')],
      blocks: [
        blockInput('198.19.0.7/32', `host:${ME}`),
        blockInput('198.19.0.64/26', `host:${ME}`),
        blockInput('198.19.2.9/32', 'host:n2'),
      ],
      want: {
        '198.19.0.64/26': 'blackhole',
        '198.19.2.9/32': 'vxlan via 198.19.2.1 (n2)',
      },
    },
    {
      name: 'a remote block containing a local pool is dropped too',
      pools: [poolInput('198.19.2.0/24'), poolInput('198.19.0.0/16', { cluster: 'c' })],
      blocks: [blockInput('198.19.0.0/22', 'host:c/n9', { cluster: 'c' })],
      want: {},
    },
  ]
  for (const t of table) {
    void it(t.name, () => {
      assert.deepEqual(routes(t.pools, t.blocks), t.want)
    })
  }

  void it('the result does not depend on the order of nodes, pools or blocks', () => {
    const pools = [
      poolInput('198.19.0.0/18'),
      poolInput('198.19.0.0/16', { cluster: 'b' }),
      poolInput('198.19.64.0/18', { cluster: 'c', mode: 'CrossSubnet' }),
    ]
    const blocks = [
      blockInput('198.19.2.0/26', 'host:n2', { borrowed: { 1: 'n3' } }),
      blockInput('198.19.64.0/26', 'host:b/n1', { cluster: 'b' }),
      blockInput('198.19.64.0/26', 'host:c/n9', { cluster: 'c' }),
      blockInput('198.19.70.0/26', 'host:c/n9', { cluster: 'c' }),
      blockInput('198.19.0.0/26', `host:${ME}`),
    ]
    const a = computeVxlanState({ localNodeId: ME, nodes: baseNodes, pools, blocks })
    const b = computeVxlanState({
      localNodeId: ME,
      nodes: [...baseNodes].reverse(),
      pools: [...pools].reverse(),
      blocks: [...blocks].reverse(),
    })
    assert.deepEqual(new Map([...a.routes].sort()), new Map([...b.routes].sort()))
    assert.deepEqual(
      a.fdb,
      new Map([...b.fdb].sort((x, y) => (a.fdb.has(x[0]) ? 0 : x[0] < y[0] ? -1 : 1)))
    )
    assert.deepEqual(new Set(a.arp), new Set(b.arp))
    assert.deepEqual(a.problems.slice().sort(), b.problems.slice().sort())
  })

  void it('FDB maps MAC → node IP and ARP maps tunnel IP → MAC for every remote VTEP, never for me', () => {
    const st = computeVxlanState({ localNodeId: ME, nodes: baseNodes, pools: [], blocks: [] })
    assert.equal(st.local?.nodeIp, '198.18.0.1')
    assert.equal(st.fdb.size, 4)
    const remoteB = st.remotes.get('b/n1')!
    assert.equal(st.fdb.get(remoteB.mac), '198.18.4.1')
    assert.equal(st.arp.get('198.19.64.1'), remoteB.mac)
    assert.equal(st.arp.has('198.19.0.1'), false)
  })
})

void describe('nat calc', () => {
  void it('all pools of every cluster vs natOutgoing local pools only', () => {
    const st = computeVxlanState({
      localNodeId: ME,
      nodes: [],
      blocks: [],
      pools: [
        poolInput('198.19.0.0/18', { nat: true }),
        poolInput('198.19.192.0/18'),
        poolInput('198.19.64.0/18', { cluster: 'b', nat: true }),
        poolInput('198.19.128.0/18', { lbOnly: true, nat: true }),
      ],
    })
    assert.deepEqual(
      st.nat.allPools,
      new Set(['198.19.0.0/18', '198.19.192.0/18', '198.19.64.0/18'])
    )
    assert.deepEqual(st.nat.natPools, new Set(['198.19.0.0/18']))
  })
})

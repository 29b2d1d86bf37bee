import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import {
  prefixAffinity,
  prefixForCluster,
  remoteClusterNameProblem,
  stripClusterPrefix,
} from './remote.js'
import type {
  HostEndpoint,
  IPAMBlock,
  IPPool,
  Profile,
  Resource,
  WorkloadEndpoint,
} from './resources.js'

const wep: WorkloadEndpoint = {
  kind: 'WorkloadEndpoint',
  metadata: { name: 'node1-k8s-db--0-eth0', namespace: 'shop', labels: { app: 'db' } },
  spec: {
    orchestrator: 'k8s',
    node: 'node1',
    pod: 'db-0',
    endpoint: 'eth0',
    ipNetworks: ['198.19.1.5/32'],
    profiles: ['kns.shop', 'ksa.shop.db'],
  },
}

void describe('remote-cluster naming', () => {
  void it('prefixes node and profile references of workload and host endpoints', () => {
    const got = prefixForCluster('cluster-b', wep) as WorkloadEndpoint
    assert.equal(got.spec.node, 'cluster-b/node1')
    assert.deepEqual(got.spec.profiles, ['cluster-b/kns.shop', 'cluster-b/ksa.shop.db'])
    assert.equal(
      got.metadata.name,
      wep.metadata.name,
      'the key carries the cluster; the name stays'
    )
    assert.equal(wep.spec.node, 'node1', 'the input is not changed')
    const hep: HostEndpoint = {
      kind: 'HostEndpoint',
      metadata: { name: 'h' },
      spec: { node: 'node2', expectedIPs: ['198.18.0.2'], profiles: ['kns.x'] },
    }
    const h = prefixForCluster('b', hep) as HostEndpoint
    assert.equal(h.spec.node, 'b/node2')
    assert.deepEqual(h.spec.profiles, ['b/kns.x'])
  })

  void it('prefixes Profile and Node names', () => {
    const p: Profile = {
      kind: 'Profile',
      metadata: { name: 'kns.shop' },
      spec: { labelsToApply: { 'pcns.env': 'prod' } },
    }
    assert.equal(prefixForCluster('b', p).metadata.name, 'b/kns.shop')
    const n: Resource = {
      kind: 'Node',
      metadata: { name: 'node1' },
      spec: { ipv4VXLANTunnelAddr: '198.19.1.0' },
    }
    assert.equal(prefixForCluster('b', n).metadata.name, 'b/node1')
  })

  void it('prefixes IPAM block affinity and borrowed-IP owners only', () => {
    const block: IPAMBlock = {
      kind: 'IPAMBlock',
      metadata: { name: '198-19-1-0-30' },
      spec: {
        cidr: '198.19.1.0/30',
        affinity: 'host:node1',
        allocations: [0, 1, null, null],
        unallocated: [2, 3],
        attributes: [
          { handle_id: 'a', secondary: { node: 'node1', pod: 'db-0' } },
          { handle_id: 'vxlan-tunnel-addr-node1' },
        ],
      },
    }
    const got = prefixForCluster('b', block) as IPAMBlock
    assert.equal(got.spec.affinity, 'host:b/node1')
    assert.deepEqual(got.spec.attributes, [
      { handle_id: 'a', secondary: { node: 'b/node1', pod: 'db-0' } },
      { handle_id: 'vxlan-tunnel-addr-node1' },
    ])
    assert.equal(prefixAffinity('b', 'virtual:n'), 'virtual:b/n')
    assert.equal(prefixAffinity('b', 'other'), 'other')
  })

  void it('leaves pools (kept apart by the key) unchanged', () => {
    const pool: IPPool = {
      kind: 'IPPool',
      metadata: { name: 'p' },
      spec: {
        cidr: '198.19.0.0/16',
        vxlanMode: 'Always',
        ipipMode: 'Never',
        natOutgoing: true,
        disabled: false,
      },
    }
    assert.equal(prefixForCluster('b', pool), pool)
  })

  void it('strips prefixes and validates cluster names', () => {
    assert.deepEqual(stripClusterPrefix('b/node1'), { cluster: 'b', name: 'node1' })
    assert.deepEqual(stripClusterPrefix('node1'), { cluster: undefined, name: 'node1' })
    assert.deepEqual(stripClusterPrefix('b/kns.a'), { cluster: 'b', name: 'kns.a' })
    assert.equal(remoteClusterNameProblem('cluster-b'), undefined)
    assert.match(remoteClusterNameProblem('Cluster_B') ?? '', /lower-case alphanumerics/)
    assert.match(remoteClusterNameProblem('-b') ?? '', /lower-case/)
    assert.match(remoteClusterNameProblem('a'.repeat(64)) ?? '', /longer than 63/)
    assert.equal(remoteClusterNameProblem(''), 'is required')
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { keyOf, keyToString, parseKey, type ResourceKey } from './key.js'
import type { Resource } from './resources.js'

void describe('key scheme', () => {
  void it('round-trips local and remote, namespaced and cluster-scoped keys', () => {
    const keys: ResourceKey[] = [
      { kind: 'IPPool', name: 'default-pool' },
      { kind: 'WorkloadEndpoint', namespace: 'default', name: 'node1-k8s-nginx-eth0' },
      {
        cluster: 'cluster-b',
        kind: 'WorkloadEndpoint',
        namespace: 'default',
        name: 'node1-k8s-nginx-eth0',
      },
      { cluster: 'cluster-b', kind: 'Node', name: 'node1' },
      { kind: 'RemoteClusterStatus', name: 'cluster-b' },
      { cluster: 'b', kind: 'Profile', name: 'kns.default' },
    ]
    for (const k of keys) assert.deepEqual(parseKey(keyToString(k)), k)
    assert.equal(keyToString(keys[2]!), 'cluster-b/WorkloadEndpoint/default/node1-k8s-nginx-eth0')
  })

  void it('rejects malformed keys', () => {
    for (const bad of [
      '',
      'Foo/x',
      'IPPool',
      'IPPool/',
      'IPPool/a/b',
      'WorkloadEndpoint/only-name',
      'WorkloadEndpoint/ns/name/extra',
      '/IPPool/x',
      'b/c/IPPool/x',
      'b/IPPool/',
      'WorkloadEndpoint//name',
      'b//IPPool/x',
      'b/WorkloadEndpoint/ns/',
      'b/WorkloadEndpoint//n',
      'IPPool//',
      'b/Node',
      'b/Node/',
      'Node/Node/x',
    ]) {
      assert.equal(parseKey(bad), undefined, bad)
    }
  })

  void it('keyOf uses metadata and the optional cluster, defaulting the namespace', () => {
    const wep = {
      kind: 'WorkloadEndpoint',
      metadata: { name: 'w' },
      spec: { orchestrator: 'k8s', node: 'n', endpoint: 'eth0', ipNetworks: [], profiles: [] },
    } satisfies Resource
    assert.equal(keyToString(keyOf(wep)), 'WorkloadEndpoint/default/w')
    assert.equal(keyToString(keyOf(wep, 'b')), 'b/WorkloadEndpoint/default/w')
  })
})

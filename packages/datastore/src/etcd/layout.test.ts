import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import type { IPAMBlock, Secret } from '@cattail/model'
import {
  etcdKeyFor,
  etcdKeyOf,
  etcdPrefixFor,
  etcdValueFor,
  ipamBlockKey,
  modelKeyOfEtcdKey,
  parseEtcdKv,
} from './layout.js'

void describe('etcd layout', () => {
  void it("uses Calico's key layout", () => {
    assert.equal(
      etcdKeyOf('IPPool', 'default-pool'),
      '/calico/resources/v3/projectcalico.org/ippools/default-pool'
    )
    assert.equal(
      etcdKeyOf('WorkloadEndpoint', 'n1-k8s-p-eth0', 'shop'),
      '/calico/resources/v3/projectcalico.org/workloadendpoints/shop/n1-k8s-p-eth0'
    )
    assert.equal(
      etcdPrefixFor('NetworkPolicy'),
      '/calico/resources/v3/projectcalico.org/networkpolicies/'
    )
    assert.equal(
      etcdPrefixFor('Secret', 'calico-system'),
      '/cattail/kubernetes/v1/secrets/calico-system/'
    )
    assert.equal(etcdPrefixFor('RemoteClusterStatus'), undefined)
    assert.equal(
      ipamBlockKey('198.19.3.0/26'),
      '/calico/ipam/v2/assignment/ipv4/block/198.19.3.0-26'
    )
    assert.equal(
      ipamBlockKey('fd00:198:19::/122'),
      '/calico/ipam/v2/assignment/ipv6/block/fd00:198:19::-122'
    )
  })

  void it('round-trips an IPAM block through its AllocationBlock JSON, named as in KDD', () => {
    const block: IPAMBlock = {
      kind: 'IPAMBlock',
      metadata: { name: 'ignored' },
      spec: {
        cidr: '198.19.3.0/30',
        affinity: 'host:n1',
        allocations: [0, null, null, null],
        unallocated: [1, 2, 3],
        attributes: [{ handle_id: 'h' }],
      },
    }
    const key = etcdKeyFor(block)
    const p = parseEtcdKv('IPAMBlock', key, etcdValueFor(block), '42')
    if (!p.ok) assert.fail(String(p.error))
    assert.equal(p.key, 'IPAMBlock/198-19-3-0-30')
    assert.deepEqual(p.resource, {
      ...block,
      metadata: { name: '198-19-3-0-30', resourceVersion: '42' },
    })
  })

  void it('round-trips a Secret as a Kubernetes object with base64 data', () => {
    const s: Secret = {
      kind: 'Secret',
      metadata: { name: 'rcc-b', namespace: 'calico-system' },
      spec: { data: { kubeconfig: 'apiVersion: v1' } },
    }
    const stored = JSON.parse(etcdValueFor(s)) as { data: Record<string, string> }
    assert.equal(stored.data['kubeconfig'], Buffer.from('apiVersion: v1').toString('base64'))
    const p = parseEtcdKv('Secret', etcdKeyFor(s), etcdValueFor(s), '7')
    if (!p.ok) assert.fail(String(p.error))
    assert.deepEqual(p.resource.spec, s.spec)
  })

  void it('takes name and namespace from the key and reports bad values with the model key', () => {
    const key = etcdKeyOf('NetworkPolicy', 'allow', 'shop')
    const ok = parseEtcdKv(
      'NetworkPolicy',
      key,
      JSON.stringify({ kind: 'NetworkPolicy', metadata: { name: 'other' }, spec: {} }),
      '3'
    )
    if (!ok.ok) assert.fail(String(ok.error))
    assert.equal(ok.key, 'NetworkPolicy/shop/allow')
    const bad = parseEtcdKv('NetworkPolicy', key, '{not json', '4')
    assert.equal(bad.ok, false)
    if (!bad.ok) {
      assert.equal(bad.key, 'NetworkPolicy/shop/allow')
      assert.match(String(bad.error), /not valid JSON/)
    }
    const wrongKind = parseEtcdKv(
      'IPPool',
      etcdKeyOf('IPPool', 'p'),
      JSON.stringify({ kind: 'Tier', spec: {} }),
      '5'
    )
    assert.equal(wrongKind.ok, false)
    assert.equal(
      modelKeyOfEtcdKey('IPPool', '/calico/resources/v3/projectcalico.org/ippools/a/b'),
      undefined
    )
    assert.equal(
      modelKeyOfEtcdKey('IPAMBlock', '/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26'),
      'IPAMBlock/10-0-0-0-26'
    )
  })
})

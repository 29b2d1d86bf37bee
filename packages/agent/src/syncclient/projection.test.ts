import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import type { KVUpdate } from '@cattail/model'
import { createAgentProjection } from './projection.js'

const kv = (key: string, value: unknown): KVUpdate => ({
  key,
  value: value as KVUpdate['value'],
  revision: '7',
})
const meta = {
  name: 'n1',
  namespace: 'ns1',
  uid: 'u-1',
  resourceVersion: '7',
  creationTimestamp: '2026-01-01T00:00:00Z',
  labels: { app: 'a', 'projectcalico.org/namespace': 'ns1' },
  annotations: { big: 'x'.repeat(1000) },
  managedFields: [{ manager: 'kubectl' }],
}
const ports = [{ name: 'http', protocol: 'TCP', port: 80 }]

void describe('agent projection', () => {
  void it('keeps exactly the endpoint fields the calcs read', () => {
    const project = createAgentProjection()
    const spec = {
      orchestrator: 'k8s',
      workload: 'w',
      node: 'node-1',
      containerID: 'c0ffee',
      pod: 'p',
      endpoint: 'eth0',
      serviceAccountName: 'default',
      ipNetworks: ['198.19.0.1/32'],
      ipv6Networks: ['2001:2::1/128'],
      expectedIPs: ['198.19.0.2'],
      profiles: ['kns.ns1', 'ksa.ns1.default'],
      interfaceName: 'cali0',
      mac: 'ee:ee:ee:ee:ee:ee',
      ports,
      somethingNew: true,
    }
    for (const kind of ['WorkloadEndpoint', 'HostEndpoint']) {
      const got = project(kv(`${kind}/ns1/n1`, { kind, metadata: meta, spec, status: { x: 1 } }))
      assert.deepEqual(got, {
        key: `${kind}/ns1/n1`,
        revision: '7',
        value: {
          kind,
          metadata: { name: 'n1', namespace: 'ns1', labels: meta.labels },
          spec: {
            orchestrator: 'k8s',
            workload: 'w',
            node: 'node-1',
            endpoint: 'eth0',
            serviceAccountName: 'default',
            ipNetworks: ['198.19.0.1/32'],
            ipv6Networks: ['2001:2::1/128'],
            expectedIPs: ['198.19.0.2'],
            profiles: ['kns.ns1', 'ksa.ns1.default'],
            interfaceName: 'cali0',
            ports,
          },
        },
      })
    }
  })

  void it('keeps profiles, policies and the VXLAN inputs; drops the rest', () => {
    const project = createAgentProjection()
    const rules = [{ action: 'Allow' }]
    assert.deepEqual(
      project(
        kv('Profile/kns.ns1', {
          kind: 'Profile',
          metadata: meta,
          spec: { labelsToApply: { 'pcns.a': 'b' }, ingress: rules, egress: rules, x: 1 },
        })
      ).value,
      {
        kind: 'Profile',
        metadata: { name: 'n1', namespace: 'ns1', labels: meta.labels },
        spec: { labelsToApply: { 'pcns.a': 'b' }, ingress: rules, egress: rules },
      }
    )
    for (const kind of [
      'NetworkPolicy',
      'GlobalNetworkPolicy',
      'Tier',
      'NetworkSet',
      'GlobalNetworkSet',
      'IPPool',
    ]) {
      const spec = { selector: 'all()', order: 1, ingress: rules, nets: ['198.18.0.0/15'] }
      assert.deepEqual(project(kv(`${kind}/n1`, { kind, metadata: meta, spec })).value, {
        kind,
        metadata: { name: 'n1', namespace: 'ns1', labels: meta.labels },
        spec,
      })
    }
    assert.deepEqual(
      project(
        kv('Node/n1', {
          kind: 'Node',
          metadata: meta,
          spec: {
            bgp: { ipv4Address: '198.18.0.2/16', ipv6Address: '2001:2::2/64', asNumber: 64512 },
            ipv4VXLANTunnelAddr: '198.19.0.1',
            vxlanTunnelMACAddr: '66:00:00:00:00:01',
            orchRefs: [{ nodeName: 'n1' }],
          },
          status: { podCIDRs: [] },
        })
      ).value,
      {
        kind: 'Node',
        metadata: { name: 'n1', namespace: 'ns1', labels: meta.labels },
        spec: {
          bgp: { ipv4Address: '198.18.0.2/16', ipv6Address: '2001:2::2/64' },
          ipv4VXLANTunnelAddr: '198.19.0.1',
          vxlanTunnelMACAddr: '66:00:00:00:00:01',
        },
      }
    )
    assert.deepEqual(
      project(
        kv('IPAMBlock/198.19.0.0-30', {
          kind: 'IPAMBlock',
          metadata: meta,
          spec: {
            cidr: '198.19.0.0/30',
            affinity: 'host:n1',
            allocations: [0, null, null, null],
            unallocated: [1, 2, 3],
            attributes: [{ handle_id: 'h', secondary: { node: 'n1', type: 'vxlanTunnelAddress' } }],
            strictAffinity: false,
            sequenceNumber: 5,
          },
        })
      ).value,
      {
        kind: 'IPAMBlock',
        metadata: { name: 'n1', namespace: 'ns1', labels: meta.labels },
        spec: {
          cidr: '198.19.0.0/30',
          affinity: 'host:n1',
          allocations: [0, null, null, null],
          unallocated: [1, 2, 3],
          attributes: [{ secondary: { node: 'n1', type: 'vxlanTunnelAddress' } }],
        },
      }
    )
  })

  void it('shares repeated strings, passes deletions and malformed values through, never throws', () => {
    const project = createAgentProjection(2)
    const a = project(
      kv('WorkloadEndpoint/ns1/a', {
        kind: 'WorkloadEndpoint',
        metadata: { ...meta, namespace: `ns${1}` },
        spec: {},
      })
    )
    assert.equal(a.value?.metadata.namespace, 'ns1')
    const del: KVUpdate = { key: 'WorkloadEndpoint/ns1/a', value: undefined, revision: '8' }
    assert.equal(project(del), del)
    for (const bad of [42, 'x', null, [], { kind: 'WorkloadEndpoint', metadata: 5, spec: 'no' }]) {
      const got = project(kv('WorkloadEndpoint/ns1/bad', bad))
      assert.equal(got.key, 'WorkloadEndpoint/ns1/bad')
    }
    // Past the intern limit, values are kept as they are.
    for (let i = 0; i < 10; i++) {
      const v = project(
        kv(`Tier/t${i}`, {
          kind: 'Tier',
          metadata: { name: `t${i}`, labels: { [`k${i}`]: `v${i}` } },
        })
      )
      assert.deepEqual(v.value?.metadata.labels, { [`k${i}`]: `v${i}` })
    }
  })
  void it('shares equal label maps and profile lists, in key order, also past the string limit', () => {
    for (const limit of [1000, 3]) {
      const project = createAgentProjection(limit)
      const wep = (name: string, labels: unknown, profiles: unknown): KVUpdate =>
        project(
          kv(`WorkloadEndpoint/ns1/${name}`, {
            kind: 'WorkloadEndpoint',
            metadata: { name, namespace: 'ns1', labels },
            spec: { profiles },
          })
        )
      const labels = (u: KVUpdate): unknown => u.value?.metadata.labels
      const profiles = (u: KVUpdate): unknown => (u.value?.spec as { profiles?: unknown }).profiles
      const a = wep('a', { app: 'x', tier: 'db' }, ['kns.ns1', 'ksa.ns1.default'])
      const b = wep('b', { app: 'x', tier: 'db' }, ['kns.ns1', 'ksa.ns1.default'])
      const reordered = wep('c', { tier: 'db', app: 'x' }, ['ksa.ns1.default', 'kns.ns1'])
      const other = wep('d', { app: 'x', tier: 'web' }, ['kns.ns1'])
      const odd = wep('e', { app: 1, tier: { x: 1 } }, [2, null])
      assert.equal(labels(a), labels(b))
      assert.equal(profiles(a), profiles(b))
      assert.ok(Object.isFrozen(labels(a)) && Object.isFrozen(profiles(a)))
      assert.notEqual(labels(reordered), labels(a))
      assert.deepEqual(Object.keys(labels(reordered) as object), ['tier', 'app'])
      assert.deepEqual(profiles(reordered), ['ksa.ns1.default', 'kns.ns1'])
      assert.deepEqual(labels(other), { app: 'x', tier: 'web' })
      assert.deepEqual(profiles(other), ['kns.ns1'])
      assert.deepEqual(labels(odd), { app: 1, tier: { x: 1 } })
      assert.deepEqual(profiles(odd), [2, null])
    }
  })
})

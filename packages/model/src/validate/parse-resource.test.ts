import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { parseResource } from './parse-resource.js'

const v3 = (kind: string, metadata: Record<string, unknown>, spec: unknown): unknown => ({
  apiVersion: 'projectcalico.org/v3',
  kind,
  metadata,
  spec,
})

void describe('parseResource: each invalid object gives a precise message, never a throw', () => {
  const cases: [string, unknown, string][] = [
    [
      'applyOnForward policy',
      v3('GlobalNetworkPolicy', { name: 'fw' }, { selector: 'all()', applyOnForward: true }),
      'GlobalNetworkPolicy fw: spec.applyOnForward applyOnForward is not supported (cattail renders workload policy only, not host-endpoint forward policy)',
    ],
    [
      'preDNAT policy',
      v3('GlobalNetworkPolicy', { name: 'pd' }, { selector: 'all()', preDNAT: true }),
      'GlobalNetworkPolicy pd: spec.preDNAT preDNAT is not supported (cattail renders no pre-DNAT policy in mangle PREROUTING)',
    ],
    [
      'network set with a bad net',
      v3('NetworkSet', { name: 'ns1', namespace: 'default' }, { nets: ['10.0.0.0/33'] }),
      'NetworkSet default/ns1: spec.nets[0] "10.0.0.0/33" is not a valid IP address or CIDR',
    ],
    [
      'bad pool CIDR',
      v3('IPPool', { name: 'default-pool' }, { cidr: '10.0.0/16' }),
      'IPPool default-pool: spec.cidr "10.0.0/16" is not a valid CIDR',
    ],
    [
      'prefix too long',
      v3('IPPool', { name: 'p' }, { cidr: '10.0.0.0/33' }),
      'IPPool p: spec.cidr "10.0.0.0/33" is not a valid CIDR',
    ],
    [
      'unknown encapsulation mode',
      v3('IPPool', { name: 'p' }, { cidr: '10.0.0.0/16', vxlanMode: 'Sometimes' }),
      'IPPool p: spec.vxlanMode must be one of Always, CrossSubnet, Never, got "Sometimes"',
    ],
    [
      'both encapsulations',
      v3('IPPool', { name: 'p' }, { cidr: '10.0.0.0/16', vxlanMode: 'Always', ipipMode: 'Always' }),
      'IPPool p: spec.vxlanMode and spec.ipipMode cannot both be enabled',
    ],
    [
      'block size out of range',
      v3('IPPool', { name: 'p' }, { cidr: '10.0.0.0/16', blockSize: 33 }),
      'IPPool p: spec.blockSize must be at most 32, got 33',
    ],
    [
      'flag of the wrong type',
      v3('IPPool', { name: 'p' }, { cidr: '10.0.0.0/16', natOutgoing: 'yes' }),
      'IPPool p: spec.natOutgoing must be true or false, got "yes"',
    ],
    [
      'missing name',
      v3('IPPool', {}, { cidr: '10.0.0.0/16' }),
      'IPPool <unnamed>: metadata.name is required',
    ],
    [
      'name with a slash',
      v3('Profile', { name: 'a/b' }, {}),
      'Profile a/b: metadata.name "a/b" must not contain "/"',
    ],
    [
      'upper-case name',
      v3('IPPool', { name: 'Pool1' }, { cidr: '10.0.0.0/16' }),
      'IPPool Pool1: metadata.name "Pool1" must consist of lower-case alphanumerics, "-" and "."',
    ],
    [
      'wrong apiVersion',
      { apiVersion: 'v1', kind: 'IPPool', metadata: { name: 'p' } },
      'IPPool p: apiVersion must be projectcalico.org/v3 or crd.projectcalico.org/v1, got "v1"',
    ],
    [
      'unknown kind',
      { apiVersion: 'projectcalico.org/v3', kind: 'BGPPeer', metadata: { name: 'p' } },
      'BGPPeer p: kind must be one of WorkloadEndpoint, HostEndpoint, Profile, Node, IPPool, IPAMBlock, NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet, GlobalNetworkSet, RemoteClusterConfiguration, got "BGPPeer"',
    ],
    ['not an object', 42, '<unknown> <unnamed>: must be an object, got 42'],
    ['missing spec', v3('IPPool', { name: 'p' }, undefined), 'IPPool p: spec is required'],
    [
      'endpoint without node',
      v3('WorkloadEndpoint', { name: 'w', namespace: 'ns' }, { ipNetworks: ['10.0.0.1/32'] }),
      'WorkloadEndpoint ns/w: spec.node is required',
    ],
    [
      'bad endpoint IP',
      v3(
        'WorkloadEndpoint',
        { name: 'w', namespace: 'ns' },
        { node: 'n', ipNetworks: ['10.0.0.1', 'fd00::g'] }
      ),
      'WorkloadEndpoint ns/w: spec.ipNetworks[1] "fd00::g" is not a valid IP address or CIDR',
    ],
    [
      'bad port number',
      v3(
        'WorkloadEndpoint',
        { name: 'w', namespace: 'ns' },
        { node: 'n', ports: [{ name: 'h', port: 70000 }] }
      ),
      'WorkloadEndpoint ns/w: spec.ports[0].port must be at most 65535, got 70000',
    ],
    [
      'bad VTEP MAC',
      v3('Node', { name: 'n1' }, { vxlanTunnelMACAddr: '66:00:11' }),
      'Node n1: spec.vxlanTunnelMACAddr "66:00:11" is not a valid MAC address',
    ],
    [
      'bad tunnel address',
      v3('Node', { name: 'n1' }, { ipv4VXLANTunnelAddr: '198.19.0.0/26' }),
      'Node n1: spec.ipv4VXLANTunnelAddr "198.19.0.0/26" is not a valid IP address',
    ],
    [
      'bad selector',
      v3('NetworkPolicy', { name: 'web', namespace: 'default' }, { selector: 'app ==' }),
      'NetworkPolicy default/web: spec.selector "app ==" is not a valid selector: expected string',
    ],
    [
      'rule without action',
      v3('GlobalNetworkPolicy', { name: 'g' }, { ingress: [{ source: { nets: ['10.0.0.0/8'] } }] }),
      'GlobalNetworkPolicy g: spec.ingress[0].action is required',
    ],
    [
      'bad rule net',
      v3(
        'GlobalNetworkPolicy',
        { name: 'g' },
        { egress: [{ action: 'Allow', destination: { nets: ['300.0.0.0/8'] } }] }
      ),
      'GlobalNetworkPolicy g: spec.egress[0].destination.nets[0] "300.0.0.0/8" is not a valid IP address or CIDR',
    ],
    [
      'bad port range',
      v3(
        'NetworkPolicy',
        { name: 'p', namespace: 'd' },
        { ingress: [{ action: 'Allow', destination: { ports: ['90:80'] } }] }
      ),
      'NetworkPolicy d/p: spec.ingress[0].destination.ports[0] "90:80" is not a valid port range',
    ],
    [
      'RCC secret plus inline connection fields',
      v3(
        'RemoteClusterConfiguration',
        { name: 'cluster-b' },
        { clusterAccessSecret: { name: 's' }, etcdEndpoints: 'http://x:2379' }
      ),
      'RemoteClusterConfiguration cluster-b: spec.clusterAccessSecret is set, so spec.etcdEndpoints must be empty',
    ],
    [
      'RCC name that cannot be a prefix',
      v3('RemoteClusterConfiguration', { name: 'cluster.b' }, { datastoreType: 'kubernetes' }),
      'RemoteClusterConfiguration cluster.b: metadata.name "cluster.b" must consist of lower-case alphanumerics and "-", starting and ending with an alphanumeric',
    ],
    [
      'RCC bad datastore type',
      v3('RemoteClusterConfiguration', { name: 'b' }, { datastoreType: 'consul' }),
      'RemoteClusterConfiguration b: spec.datastoreType must be one of kubernetes, etcdv3, got "consul"',
    ],
    [
      'RCC bad overlay mode',
      v3(
        'RemoteClusterConfiguration',
        { name: 'b' },
        { syncOptions: { overlayRoutingMode: 'On' } }
      ),
      'RemoteClusterConfiguration b: spec.syncOptions.overlayRoutingMode must be one of Enabled, Disabled, got "On"',
    ],
    [
      'IPAM allocation pointing past the attributes',
      v3(
        'IPAMBlock',
        { name: '10-0-0-0-30' },
        { cidr: '10.0.0.0/30', allocations: [0, 3], unallocated: [], attributes: [{}] }
      ),
      'IPAMBlock 10-0-0-0-30: spec.allocations[1] refers to attribute 3, but there are 1',
    ],
    [
      'labels that are not strings',
      v3('HostEndpoint', { name: 'h', labels: { a: 1 } }, { node: 'n' }),
      'HostEndpoint h: metadata.labels.a must be a string, got 1',
    ],
  ]
  for (const [what, input, message] of cases) {
    void it(what, () => {
      const res = parseResource(input)
      if (res.ok) assert.fail(`accepted: ${JSON.stringify(res.resource)}`)
      assert.equal(res.error.message, message)
      assert.equal(res.error.code, 'ERR_VALIDATION')
    })
  }
  void it('names the field and object on the error', () => {
    const res = parseResource(v3('IPPool', { name: 'default-pool' }, { cidr: '10.0.0/16' }))
    if (res.ok) assert.fail('accepted')
    assert.equal(res.error.kind, 'IPPool')
    assert.equal(res.error.objectName, 'default-pool')
    assert.equal(res.error.field, 'spec.cidr')
    assert.equal(res.error.name, 'ValidationError')
  })
})

void describe('parseResource: valid objects', () => {
  void it('fills defaults and drops unknown fields', () => {
    const res = parseResource(
      v3(
        'IPPool',
        { name: 'p', resourceVersion: '3', managedFields: [] },
        { cidr: 'fd00::/48', blockSize: 122, nodeSelector: 'all()', future: 1 }
      )
    )
    assert.deepEqual(res, {
      ok: true,
      resource: {
        kind: 'IPPool',
        metadata: { name: 'p', resourceVersion: '3' },
        spec: {
          cidr: 'fd00::/48',
          vxlanMode: 'Never',
          ipipMode: 'Never',
          natOutgoing: false,
          disabled: false,
          blockSize: 122,
          nodeSelector: 'all()',
        },
      },
    })
  })

  void it('defaults the namespace of namespaced kinds and accepts a full endpoint', () => {
    const res = parseResource(
      v3(
        'WorkloadEndpoint',
        { name: 'n1-k8s-p-eth0' },
        {
          node: 'n1',
          ipNetworks: ['198.19.0.5'],
          profiles: ['kns.default'],
          mac: 'ee:ee:ee:ee:ee:ee',
          ports: [{ name: 'http', port: 80 }],
        }
      )
    )
    if (!res.ok) assert.fail(res.error.message)
    assert.equal(res.resource.metadata.namespace, 'default')
    assert.deepEqual(res.resource.spec, {
      orchestrator: 'k8s',
      node: 'n1',
      endpoint: 'eth0',
      ipNetworks: ['198.19.0.5/32'],
      profiles: ['kns.default'],
      mac: 'ee:ee:ee:ee:ee:ee',
      ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
    })
  })

  void it('accepts an RCC that uses only a clusterAccessSecret', () => {
    const res = parseResource(
      v3(
        'RemoteClusterConfiguration',
        { name: 'cluster-b' },
        {
          clusterAccessSecret: { kind: 'Secret', name: 'remote-b', namespace: 'calico-system' },
          syncOptions: { overlayRoutingMode: 'Enabled' },
        }
      )
    )
    if (!res.ok) assert.fail(res.error.message)
    assert.deepEqual(res.resource.spec, {
      clusterAccessSecret: { kind: 'Secret', name: 'remote-b', namespace: 'calico-system' },
      syncOptions: { overlayRoutingMode: 'Enabled' },
    })
  })

  void it('honours expectKind and apiVersions', () => {
    const res = parseResource(v3('Tier', { name: 't' }, {}), { expectKind: 'IPPool' })
    if (res.ok) assert.fail('accepted')
    assert.equal(res.error.message, 'Tier t: kind must be IPPool, got "Tier"')
    const crd = parseResource(
      { apiVersion: 'crd.projectcalico.org/v1', kind: 'Tier', metadata: { name: 't' }, spec: {} },
      { apiVersions: ['projectcalico.org/v3'] }
    )
    assert.equal(crd.ok, false)
  })
})

void describe('parseResource: network sets', () => {
  void it('accepts NetworkSet and GlobalNetworkSet with nets and labels', () => {
    const r = parseResource(
      v3(
        'GlobalNetworkSet',
        { name: 'ext', labels: { kind: 'ext' } },
        { nets: ['203.0.113.0/24', '2001:2::/64'] }
      )
    )
    assert.ok(r.ok)
    assert.deepEqual(r.resource.spec, { nets: ['203.0.113.0/24', '2001:2::/64'] })
    const n = parseResource(
      v3('NetworkSet', { name: 'a', namespace: 'prod' }, { nets: ['198.51.100.1'] })
    )
    assert.ok(n.ok)
    assert.equal(n.resource.metadata.namespace, 'prod')
  })
})

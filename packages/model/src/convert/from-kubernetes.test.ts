import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import type { Resource } from '../resources.js'
import { fromKubernetes } from './from-kubernetes.js'
import { KUBE_RESOURCES, kubeResourcesFor, type KubeResourceType } from './kube-resources.js'
import { vethNameForPod, workloadEndpointName } from './names.js'

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`./testdata/${name}.json`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >

function convertOne(resource: KubeResourceType, obj: unknown): Resource {
  const res = fromKubernetes(resource, obj)
  if (!res.ok) assert.fail(res.error.message)
  assert.equal(res.resources.length, 1)
  return res.resources[0]!
}

const ORCH = "projectcalico.org/orchestrator == 'k8s'"

void describe('fromKubernetes: conversion table from real-looking manifests', () => {
  const cases: { name: string; resource: KubeResourceType; fixture: string; want: Resource }[] = [
    {
      name: 'Pod → WorkloadEndpoint (Calico name escaping, CNI annotation IPs, named ports, profiles)',
      resource: 'pods',
      fixture: 'pod',
      want: {
        kind: 'WorkloadEndpoint',
        metadata: {
          name: 'worker--2-k8s-frontend--7d9f8b6c5--x2k4q-eth0',
          namespace: 'shop-prod',
          uid: '0f6c2d1e-5b7a-4c1e-9a8e-2b3c4d5e6f70',
          resourceVersion: '482913',
          creationTimestamp: '2026-11-20T10:15:02Z',
          labels: {
            app: 'frontend',
            'pod-template-hash': '7d9f8b6c5',
            tier: 'web',
            'projectcalico.org/namespace': 'shop-prod',
            'projectcalico.org/orchestrator': 'k8s',
            'projectcalico.org/serviceaccount': 'frontend-sa',
          },
        },
        spec: {
          orchestrator: 'k8s',
          node: 'worker-2',
          containerID: '4b1f0c9d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c',
          pod: 'frontend-7d9f8b6c5-x2k4q',
          endpoint: 'eth0',
          serviceAccountName: 'frontend-sa',
          ipNetworks: ['198.19.3.17/32', 'fd00:198:19::3:11/128'],
          profiles: ['kns.shop-prod', 'ksa.shop-prod.frontend-sa'],
          interfaceName: vethNameForPod('shop-prod', 'frontend-7d9f8b6c5-x2k4q'),
          ports: [
            { name: 'http', protocol: 'TCP', port: 8080 },
            { name: 'statsd', protocol: 'UDP', port: 8125 },
          ],
        },
      },
    },
    {
      name: 'Namespace → Profile kns.<ns> with pcns.-prefixed labels',
      resource: 'namespaces',
      fixture: 'namespace',
      want: {
        kind: 'Profile',
        metadata: {
          name: 'kns.shop-prod',
          uid: '9d0c1b2a-3e4f-5a6b-7c8d-9e0f1a2b3c4d',
          resourceVersion: '1201',
          creationTimestamp: '2026-11-01T08:00:00Z',
        },
        spec: {
          labelsToApply: {
            'pcns.kubernetes.io/metadata.name': 'shop-prod',
            'pcns.env': 'prod',
            'pcns.team': 'shop',
            'pcns.projectcalico.org/name': 'shop-prod',
          },
        },
      },
    },
    {
      name: 'ServiceAccount → Profile ksa.<ns>.<sa> with pcsa.-prefixed labels',
      resource: 'serviceaccounts',
      fixture: 'serviceaccount',
      want: {
        kind: 'Profile',
        metadata: {
          name: 'ksa.shop-prod.frontend-sa',
          uid: '5e6f7a8b-9c0d-1e2f-3a4b-5c6d7e8f9a0b',
          resourceVersion: '1300',
        },
        spec: {
          labelsToApply: {
            'pcsa.role': 'frontend',
            'pcsa.projectcalico.org/name': 'frontend-sa',
          },
        },
      },
    },
    {
      name: 'Node → Calico Node from projectcalico.org annotations',
      resource: 'nodes',
      fixture: 'node',
      want: {
        kind: 'Node',
        metadata: {
          name: 'worker-2',
          uid: 'c1d2e3f4-a5b6-c7d8-e9f0-a1b2c3d4e5f6',
          resourceVersion: '500122',
          labels: {
            'kubernetes.io/hostname': 'worker-2',
            'kubernetes.io/os': 'linux',
            'topology.kubernetes.io/zone': 'z1',
          },
        },
        spec: {
          bgp: { ipv4Address: '198.18.0.12/16', ipv6Address: 'fd00:198:18::c/64' },
          ipv4VXLANTunnelAddr: '198.19.3.0',
          vxlanTunnelMACAddr: '66:5f:1c:2a:9b:04',
          ipv6VXLANTunnelAddr: 'fd00:198:19::3:0',
          vxlanTunnelMACAddrV6: '66:e1:07:3d:aa:10',
        },
      },
    },
    {
      name: 'NetworkPolicy → Calico knp.default.<name> (one rule per peer and protocol)',
      resource: 'networkpolicies',
      fixture: 'networkpolicy',
      want: (() => {
        const peers = [
          { selector: `${ORCH} && app == 'frontend'` },
          { selector: `${ORCH} && has(reporting)`, namespaceSelector: "team == 'analytics'" },
          { nets: ['198.18.0.0/16'], notNets: ['198.18.99.0/24'] },
        ]
        const groups = [
          { protocol: 'TCP', ports: [5432, '6000:6010'] },
          { protocol: 'UDP', ports: ['metrics'] },
        ]
        return {
          kind: 'NetworkPolicy',
          metadata: {
            name: 'knp.default.db-access',
            namespace: 'shop-prod',
            uid: 'np-uid-1',
            resourceVersion: '77',
          },
          spec: {
            tier: 'default',
            order: 1000,
            selector: `${ORCH} && app == 'postgres' && role == 'primary' && tier in { 'db', 'cache' }`,
            types: ['Ingress', 'Egress'],
            ingress: peers.flatMap((source) =>
              groups.map((g) => ({
                action: 'Allow' as const,
                protocol: g.protocol,
                source,
                destination: { ports: g.ports },
              }))
            ),
            egress: [
              {
                action: 'Allow',
                protocol: 'UDP',
                destination: { selector: ORCH, namespaceSelector: 'all()', ports: [53] },
              },
              { action: 'Allow' },
            ],
          },
        } satisfies Resource
      })(),
    },
  ]
  for (const c of cases) {
    void it(c.name, () => {
      assert.deepEqual(convertOne(c.resource, fixture(c.fixture)), c.want)
    })
  }
})

void describe('fromKubernetes: pods', () => {
  const pod = fixture('pod')
  const withSpec = (spec: Record<string, unknown>): unknown => ({
    ...pod,
    spec: { ...(pod['spec'] as object), ...spec },
  })
  const withStatus = (
    status: Record<string, unknown>,
    annotations: Record<string, string> = {}
  ): unknown => ({
    ...pod,
    metadata: { ...(pod['metadata'] as object), annotations },
    status,
  })

  void it('yields nothing for host-network, unscheduled, finished and IP-less pods', () => {
    for (const [what, obj] of [
      ['hostNetwork', withSpec({ hostNetwork: true })],
      ['unscheduled', withSpec({ nodeName: undefined })],
      ['succeeded', withStatus({ phase: 'Succeeded', podIP: '198.19.3.17' })],
      ['failed', withStatus({ phase: 'Failed', podIP: '198.19.3.17' })],
      ['no IP', withStatus({ phase: 'Pending' })],
    ] as const) {
      assert.deepEqual(fromKubernetes('pods', obj), { ok: true, resources: [] }, what)
    }
  })

  void it('takes IPs from status when Calico CNI annotations are absent', () => {
    const wep = convertOne('pods', withStatus({ phase: 'Running', podIPs: [{ ip: '198.19.9.9' }] }))
    assert.equal(wep.kind, 'WorkloadEndpoint')
    if (wep.kind === 'WorkloadEndpoint') assert.deepEqual(wep.spec.ipNetworks, ['198.19.9.9/32'])
    const single = convertOne('pods', withStatus({ phase: 'Running', podIP: 'fd00::5' }))
    if (single.kind === 'WorkloadEndpoint')
      assert.deepEqual(single.spec.ipNetworks, ['fd00::5/128'])
  })

  void it('reports a bad IP annotation precisely', () => {
    const res = fromKubernetes(
      'pods',
      withStatus({ phase: 'Running' }, { 'cni.projectcalico.org/podIPs': '198.19.3.300/32' })
    )
    assert.equal(res.ok, false)
    if (!res.ok) {
      assert.equal(
        res.error.message,
        'Pod shop-prod/frontend-7d9f8b6c5-x2k4q: metadata.annotations["cni.projectcalico.org/podIPs"] "198.19.3.300/32" is not a valid IP address'
      )
      assert.equal(res.error.code, 'ERR_VALIDATION')
    }
  })

  void it('omits the service-account profile and label when the pod has none', () => {
    const wep = convertOne('pods', withSpec({ serviceAccountName: undefined }))
    if (wep.kind !== 'WorkloadEndpoint') assert.fail('not a WorkloadEndpoint')
    assert.deepEqual(wep.spec.profiles, ['kns.shop-prod'])
    assert.equal(wep.metadata.labels?.['projectcalico.org/serviceaccount'], undefined)
  })

  void it('names endpoints the way Calico does', () => {
    assert.equal(workloadEndpointName({ node: 'node1', pod: 'nginx' }), 'node1-k8s-nginx-eth0')
    assert.equal(
      workloadEndpointName({ node: 'ip-10-0-0-1', pod: 'a-b' }),
      'ip--10--0--0--1-k8s-a--b-eth0'
    )
  })
})

void describe('fromKubernetes: services, endpoints, secrets and CRDs', () => {
  void it('keeps Service labels, annotations, selector and ports', () => {
    const svc = convertOne('services', {
      metadata: {
        name: 'db',
        namespace: 'shop-prod',
        labels: { app: 'db' },
        annotations: { 'federation.tigera.io/serviceSelector': "app == 'db'" },
        managedFields: [{}],
      },
      spec: {
        ports: [{ name: 'pg', port: 5432, targetPort: 'pg' }],
        clusterIP: '10.96.0.10',
        type: 'ClusterIP',
      },
    })
    assert.deepEqual(svc, {
      kind: 'Service',
      metadata: {
        name: 'db',
        namespace: 'shop-prod',
        labels: { app: 'db' },
        annotations: { 'federation.tigera.io/serviceSelector': "app == 'db'" },
      },
      spec: {
        ports: [{ name: 'pg', protocol: 'TCP', port: 5432, targetPort: 'pg' }],
        clusterIP: '10.96.0.10',
        type: 'ClusterIP',
      },
    })
  })

  void it('converts Endpoints subsets', () => {
    const ep = convertOne('endpoints', {
      metadata: { name: 'db', namespace: 'shop-prod' },
      subsets: [
        {
          addresses: [
            {
              ip: '198.19.3.4',
              nodeName: 'worker-2',
              targetRef: { kind: 'Pod', name: 'db-0', namespace: 'shop-prod' },
            },
          ],
          ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
        },
      ],
    })
    assert.deepEqual(ep.spec, {
      subsets: [
        {
          addresses: [
            {
              ip: '198.19.3.4',
              nodeName: 'worker-2',
              targetRef: { kind: 'Pod', name: 'db-0', namespace: 'shop-prod' },
            },
          ],
          ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
        },
      ],
    })
  })

  void it('decodes Secret data and rejects bad base64', () => {
    const s = convertOne('secrets', {
      metadata: { name: 'rcc-b', namespace: 'calico-system' },
      data: {
        datastoreType: Buffer.from('kubernetes').toString('base64'),
        note: Buffer.from('héllo').toString('base64'),
      },
      stringData: { extra: 'plain' },
    })
    assert.deepEqual(s.spec, {
      data: { datastoreType: 'kubernetes', note: 'héllo', extra: 'plain' },
    })
    const bad = fromKubernetes('secrets', {
      metadata: { name: 'x', namespace: 'n' },
      data: { k: '@@@' },
    })
    assert.equal(bad.ok, false)
    if (!bad.ok) assert.equal(bad.error.message, 'Secret n/x: data.k is not valid base64 ("@@@")')
  })

  void it('validates Calico CRDs as v3 objects and rejects a mismatched kind', () => {
    const pool = convertOne('ippools', {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: 'pool-1', resourceVersion: '9' },
      spec: { cidr: '198.19.0.0/16', vxlanMode: 'Always', natOutgoing: true },
    })
    assert.deepEqual(pool.spec, {
      cidr: '198.19.0.0/16',
      vxlanMode: 'Always',
      ipipMode: 'Never',
      natOutgoing: true,
      disabled: false,
    })
    const block = convertOne('ipamblocks', {
      metadata: { name: '198-19-3-0-26' },
      spec: {
        cidr: '198.19.3.0/26',
        affinity: 'host:worker-2',
        allocations: [0, null, 1],
        unallocated: [1],
        attributes: [
          { handle_id: 'h1', secondary: { node: 'worker-2', pod: 'p' } },
          { handle_id: 'h2' },
        ],
      },
    })
    assert.equal(block.kind, 'IPAMBlock')
    const wrong = fromKubernetes('tiers', {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: 't' },
    })
    assert.equal(wrong.ok, false)
    if (!wrong.ok) assert.equal(wrong.error.message, 'IPPool t: kind must be Tier, got "IPPool"')
  })

  void it('rejects a core object of the wrong kind and non-objects without throwing', () => {
    const res = fromKubernetes('pods', { kind: 'Service', metadata: { name: 'x', namespace: 'y' } })
    assert.equal(res.ok, false)
    if (!res.ok) assert.equal(res.error.message, 'Pod y/x: kind must be Pod, got "Service"')
    const n = fromKubernetes('nodes', 'nope')
    assert.equal(n.ok, false)
    if (!n.ok) assert.equal(n.error.message, 'Node <unnamed>: must be an object, got "nope"')
  })

  void it('rejects a label selector that would not parse as a Calico selector', () => {
    const res = fromKubernetes('networkpolicies', {
      metadata: { name: 'np', namespace: 'a' },
      spec: { podSelector: { matchLabels: { 'bad key': 'x' } } },
    })
    assert.equal(res.ok, false)
    if (!res.ok) {
      assert.match(
        res.error.message,
        /^NetworkPolicy a\/np: spec.podSelector does not give a valid Calico selector/
      )
    }
  })

  void it('KUBE_RESOURCES tells the driver what to watch for a set of kinds', () => {
    assert.deepEqual(kubeResourcesFor(new Set(['Profile', 'IPPool'])), [
      'namespaces',
      'serviceaccounts',
      'ippools',
    ])
    assert.deepEqual(kubeResourcesFor(new Set(['NetworkPolicy'])), [
      'networkpolicies',
      'calico-networkpolicies',
    ])
    assert.equal(KUBE_RESOURCES['calico-networkpolicies'].plural, 'networkpolicies')
    assert.equal(KUBE_RESOURCES.networkpolicies.group, 'networking.k8s.io')
    assert.equal(KUBE_RESOURCES.pods.group, '')
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { classifyService } from './classify.js'
import { federate } from './federate.js'
import { parseEndpointSlice, parseEndpoints, parseService } from './parse.js'
import {
  OVER_CAPACITY_ANNOTATION,
  SERVICE_SELECTOR_ANNOTATION,
  type BackendGroup,
  type BackingView,
  type ServiceInfo,
} from './types.js'

const svc = (name: string, opts: Partial<ServiceInfo> & { sel?: string } = {}): ServiceInfo => ({
  cluster: opts.cluster ?? '',
  namespace: opts.namespace ?? 'bookinfo',
  name,
  uid: `uid-${name}`,
  labels: opts.labels ?? {},
  annotations:
    opts.sel !== undefined ? { [SERVICE_SELECTOR_ANNOTATION]: opts.sel } : (opts.annotations ?? {}),
  hasSpecSelector: opts.hasSpecSelector ?? false,
  ports: opts.ports ?? [{ name: 'http', protocol: 'TCP' }],
})

class View implements BackingView {
  readonly groups = new Map<ServiceInfo, BackendGroup[]>()
  constructor(readonly services: ServiceInfo[]) {}
  servicesIn(ns: string): Iterable<ServiceInfo> {
    return this.services.filter((s) => s.namespace === ns)
  }
  groupsOf(s: ServiceInfo): readonly BackendGroup[] {
    return this.groups.get(s) ?? []
  }
}

const http = [{ name: 'http', protocol: 'TCP' as const, port: 9080 }]
const pod = (ip: string, name: string, ready = true) => ({
  ip,
  ready,
  nodeName: 'n1',
  targetRef: { kind: 'Pod', name, namespace: 'bookinfo', uid: 'u' },
})

function fedOf(s: ServiceInfo) {
  const role = classifyService(s)
  assert.equal(role.kind, 'federated')
  return role.kind === 'federated' ? role.selector : undefined
}

void describe('federation calc', () => {
  void it('selects local and remote backing Services in the namespace, remote targetRefs prefixed', () => {
    const fed = svc('reviews', { sel: 'app == "reviews"' })
    const v1 = svc('reviews-v1', { labels: { app: 'reviews' } })
    const v2 = svc('reviews-v2', { labels: { app: 'reviews' }, cluster: 'uc-aks-prod-03' })
    const other = svc('reviews-x', { labels: { app: 'reviews' }, namespace: 'other' })
    const chained = svc('reviews-fed2', { labels: { app: 'reviews' }, sel: 'app == "x"' })
    const view = new View([v2, other, chained, fed, v1])
    view.groups.set(v1, [{ ports: http, addresses: [pod('198.18.0.1', 'r1')] }])
    view.groups.set(v2, [
      { ports: http, addresses: [pod('198.19.0.2', 'r2', false), pod('198.19.0.1', 'r2b')] },
    ])
    view.groups.set(other, [{ ports: http, addresses: [pod('198.18.9.9', 'x')] }])
    view.groups.set(chained, [{ ports: http, addresses: [pod('198.18.8.8', 'y')] }])
    const out = federate(fed, fedOf(fed), view)
    assert.deepEqual(out.backing, ['/reviews-v1', 'uc-aks-prod-03/reviews-v2'])
    assert.deepEqual(out.endpoints.subsets, [
      {
        addresses: [
          {
            ip: '198.18.0.1',
            nodeName: 'n1',
            targetRef: { kind: 'Pod', name: 'r1', namespace: 'bookinfo', uid: 'u' },
          },
          {
            ip: '198.19.0.1',
            targetRef: { kind: 'Pod', name: 'uc-aks-prod-03/r2b', namespace: 'bookinfo' },
          },
        ],
        notReadyAddresses: [
          {
            ip: '198.19.0.2',
            targetRef: { kind: 'Pod', name: 'uc-aks-prod-03/r2', namespace: 'bookinfo' },
          },
        ],
        ports: http,
      },
    ])
    assert.equal(
      out.endpoints.metadata.annotations?.[SERVICE_SELECTOR_ANNOTATION],
      'app == "reviews"'
    )
    assert.equal(out.slices.length, 1)
    assert.equal(out.slices[0]?.metadata.labels['kubernetes.io/service-name'], 'reviews')
    assert.equal(out.slices[0]?.metadata.ownerReferences?.[0]?.uid, 'uid-reviews')
    assert.equal(out.addressCount, 3)
    // the implicit cluster label restricts to one cluster
    const only3 = svc('reviews', {
      sel: 'federation.tigera.io/remoteClusterName == "uc-aks-prod-03"',
    })
    assert.deepEqual(federate(only3, fedOf(only3), view).backing, ['uc-aks-prod-03/reviews-v2'])
  })

  void it('keeps a port only where name and protocol match, with the backend number', () => {
    const fed = svc('f', {
      sel: 'all()',
      ports: [
        { name: 'http', protocol: 'TCP' },
        { name: 'dns', protocol: 'UDP' },
      ],
    })
    const b = svc('b')
    const view = new View([fed, b])
    view.groups.set(b, [
      {
        ports: [
          { name: 'http', protocol: 'TCP', port: 8080 },
          { name: 'http', protocol: 'UDP', port: 8081 },
          { name: 'dns', protocol: 'TCP', port: 53 },
          { name: 'metrics', protocol: 'TCP', port: 9090 },
        ],
        addresses: [pod('198.18.0.1', 'a')],
      },
      { ports: [{ name: 'admin', protocol: 'TCP', port: 1 }], addresses: [pod('198.18.0.2', 'c')] },
    ])
    const out = federate(fed, fedOf(fed), view)
    assert.deepEqual(
      out.endpoints.subsets.map((s) => s.ports),
      [[{ name: 'http', protocol: 'TCP', port: 8080 }]]
    )
    assert.deepEqual(
      out.slices.map((s) => s.ports),
      [[{ name: 'http', protocol: 'TCP', port: 8080 }]]
    )
  })

  void it('truncates the Endpoints past 1,000 addresses and slices every address by 100', () => {
    const fed = svc('big', { sel: 'all()' })
    const bs = [svc('b1'), svc('b2', { cluster: 'c2' })]
    const view = new View([fed, ...bs])
    const ip = (i: number) => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`
    view.groups.set(bs[0] as ServiceInfo, [
      {
        ports: http,
        addresses: Array.from({ length: 1500 }, (_, i) => pod(ip(i), `p${i}`, i % 10 !== 0)),
      },
    ])
    view.groups.set(bs[1] as ServiceInfo, [
      {
        ports: http,
        addresses: Array.from({ length: 1000 }, (_, i) => pod(ip(1500 + i), `q${i}`)),
      },
    ])
    const out = federate(fed, fedOf(fed), view)
    assert.equal(out.addressCount, 2500)
    assert.equal(out.slices.length, 25)
    assert.ok(out.slices.every((s) => s.endpoints.length === 100))
    assert.equal(
      new Set(out.slices.flatMap((s) => s.endpoints.map((e) => e.addresses[0]))).size,
      2500
    )
    const n = out.endpoints.subsets.reduce(
      (k, s) => k + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0),
      0
    )
    assert.equal(n, 1000)
    assert.equal(out.endpoints.metadata.annotations?.[OVER_CAPACITY_ANNOTATION], 'truncated')
    // ready addresses are kept before not-ready ones
    assert.equal(out.endpoints.subsets[0]?.notReadyAddresses, undefined)
    // deterministic
    assert.deepEqual(federate(fed, fedOf(fed), view), out)
  })

  void it('classifies: spec.selector is not federated, a bad selector is reported', () => {
    assert.equal(
      classifyService(svc('a', { sel: 'app == "x"', hasSpecSelector: true })).kind,
      'has-spec-selector'
    )
    const bad = classifyService(svc('a', { sel: 'app == ' }))
    assert.equal(bad.kind, 'bad-selector')
    assert.equal(classifyService(svc('a')).kind, 'plain')
    const fed = svc('a', { sel: 'app == ' })
    const out = federate(fed, undefined, new View([fed, svc('b')]))
    assert.deepEqual([out.endpoints.subsets, out.slices], [[], []])
  })

  void it('parses slices and endpoints, rejecting malformed ones with a reason', () => {
    const s = parseEndpointSlice({
      metadata: { name: 's', namespace: 'n', labels: { 'kubernetes.io/service-name': 'svc' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80 }],
      endpoints: [{ addresses: ['198.18.0.1'], conditions: { ready: false } }],
    })
    assert.ok(s.ok)
    assert.deepEqual(s.value.group, {
      ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
      addresses: [{ ip: '198.18.0.1', ready: false }],
    })
    const bad = parseEndpointSlice({
      metadata: { name: 's', namespace: 'n' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['nope'] }],
    })
    assert.ok(!bad.ok && bad.reason.includes('not an IPv4 address'))
    const ep = parseEndpoints({
      metadata: { name: 'e', namespace: 'n' },
      subsets: [{ addresses: [{ ip: '198.18.0.1' }], ports: [{ port: 80 }] }],
    })
    assert.ok(ep.ok)
    assert.equal(ep.value.groups[0]?.ports[0]?.name, '')
    assert.ok(
      !parseService({ metadata: { name: 'x', namespace: 'n' }, spec: { ports: 'x' } }, '').ok
    )
  })
})

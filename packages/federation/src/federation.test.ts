import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { tempDir, waitFor, type TempDir } from '@cattail/common/testing'
import type { KubeObject, TestApiServer } from '@cattail/testapi'
import {
  endpointSlice,
  endpointsObject,
  service,
  startTestController,
  startTestMesh,
  type TestController,
  type TestMesh,
} from './testing/index.js'

const P1 = 'uc-aks-prod-01'
const P3 = 'uc-aks-prod-03'
const NS = 'bookinfo'
const KUBECTL = process.env['KUBECTL_BIN'] ?? '/usr/bin/kubectl'

interface Addr {
  ip: string
  targetRef?: { name?: string }
}
interface Subset {
  addresses?: Addr[]
  notReadyAddresses?: Addr[]
  ports?: { name: string; protocol: string; port: number }[]
}

const subsetsOf = (api: TestApiServer, name: string, ns = NS): Subset[] | undefined =>
  (api.get('endpoints', name, ns) as { subsets?: Subset[] } | undefined)?.subsets
const ipsOf = (api: TestApiServer, name: string, ns = NS): string[] =>
  (subsetsOf(api, name, ns) ?? [])
    .flatMap((s) => [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])].map((a) => a.ip))
    .sort()
const slicesOf = (api: TestApiServer, svc: string, ns = NS): KubeObject[] =>
  api
    .list('endpointslices.discovery.k8s.io', ns)
    .filter(
      (o) =>
        o.metadata.labels?.['kubernetes.io/service-name'] === svc &&
        o.metadata.labels['endpointslice.kubernetes.io/managed-by'] === 'cattail'
    )
const sliceIps = (api: TestApiServer, svc: string, ns = NS): string[] =>
  slicesOf(api, svc, ns)
    .flatMap((s) => (s['endpoints'] as { addresses: string[] }[]).map((e) => e.addresses[0] ?? ''))
    .sort()
const eventsOf = (
  api: TestApiServer,
  svc: string,
  ns = NS
): { reason: string; message: string }[] =>
  api
    .list('events', ns)
    .filter((e) => (e['involvedObject'] as { name?: string }).name === svc)
    .map((e) => ({ reason: String(e['reason']), message: String(e['message']) }))

async function expectIps(api: TestApiServer, svc: string, want: string[], ns = NS): Promise<void> {
  const sorted = [...want].sort()
  await waitFor(
    () => {
      assert.deepEqual(ipsOf(api, svc, ns), sorted)
      assert.deepEqual(sliceIps(api, svc, ns), sorted)
      return true
    },
    { timeoutMs: 15_000, what: `${svc} to list ${want.join(', ')}` }
  )
}

void describe('federation controller: bookinfo over two meshed test API servers', () => {
  let mesh: TestMesh
  let c1: TestController
  let c3: TestController
  let p1: TestApiServer
  let p3: TestApiServer
  let dir: TempDir

  before(async () => {
    mesh = await startTestMesh([P1, P3], [NS, 'other'])
    p1 = mesh.api(P1)
    p3 = mesh.api(P3)
    dir = await tempDir('cattail-fed-kubectl-')
    p1.put(
      'services',
      service(NS, 'reviews-v1', {
        labels: { app: 'reviews' },
        selector: { app: 'reviews', version: 'v1' },
      })
    )
    p1.put(
      'endpointslices.discovery.k8s.io',
      endpointSlice(NS, 'reviews-v1', [{ pod: 'reviews-v1-7d8f', ip: '198.18.1.10' }])
    )
    p1.put(
      'services',
      service(NS, 'ratings-1', { labels: { app: 'ratings' }, selector: { app: 'ratings' } })
    )
    p1.put(
      'endpointslices.discovery.k8s.io',
      endpointSlice(NS, 'ratings-1', [{ pod: 'ratings-1-5c9a', ip: '198.18.1.20' }])
    )
    p1.put('services', service(NS, 'reviews', { federate: 'app == "reviews"' }))
    p3.put(
      'services',
      service(NS, 'reviews-v2', { labels: { app: 'reviews' }, selector: { app: 'reviews' } })
    )
    p3.put(
      'endpointslices.discovery.k8s.io',
      endpointSlice(NS, 'reviews-v2', [
        { pod: 'reviews-v2-a1', ip: '198.18.3.10' },
        { pod: 'reviews-v2-a2', ip: '198.18.3.11', ready: false },
      ])
    )
    // reviews-v3 has no slices: read from its Endpoints (fallback)
    p3.put(
      'services',
      service(NS, 'reviews-v3', { labels: { app: 'reviews' }, selector: { app: 'reviews' } })
    )
    p3.put(
      'endpoints',
      endpointsObject(NS, 'reviews-v3', [{ pod: 'reviews-v3-b1', ip: '198.18.3.20' }])
    )
    // same labels, other namespace: never selected
    p3.put(
      'services',
      service('other', 'reviews-x', { labels: { app: 'reviews' }, selector: { app: 'x' } })
    )
    p3.put(
      'endpointslices.discovery.k8s.io',
      endpointSlice('other', 'reviews-x', [{ pod: 'x', ip: '198.18.3.99' }])
    )
    p3.put('services', service(NS, 'ratings', { federate: 'app == "ratings"' }))
    c1 = await startTestController(p1, { identity: 'c1' })
    c3 = await startTestController(p3, { identity: 'c3' })
  })
  after(async () => {
    await Promise.allSettled([c1.stop(), c3.stop()])
    await mesh.stop()
    await dir.remove()
  })

  void it('federated reviews in prod-01 lists all three versions; remote targetRefs are <rcc>/<pod>', async () => {
    await expectIps(p1, 'reviews', ['198.18.1.10', '198.18.3.10', '198.18.3.11', '198.18.3.20'])
    const subsets = subsetsOf(p1, 'reviews') ?? []
    assert.equal(subsets.length, 1)
    const s = subsets[0] as Subset
    assert.deepEqual(
      s.addresses?.map((a) => [a.ip, a.targetRef?.name]),
      [
        ['198.18.1.10', 'reviews-v1-7d8f'],
        ['198.18.3.10', `${P3}/reviews-v2-a1`],
        ['198.18.3.20', `${P3}/reviews-v3-b1`],
      ]
    )
    assert.deepEqual(
      s.notReadyAddresses?.map((a) => [a.ip, a.targetRef?.name]),
      [['198.18.3.11', `${P3}/reviews-v2-a2`]]
    )
    assert.deepEqual(s.ports, [{ name: 'http', protocol: 'TCP', port: 9080 }])
    const ep = p1.get('endpoints', 'reviews', NS)
    assert.equal(
      ep?.metadata.annotations?.['federation.tigera.io/serviceSelector'],
      'app == "reviews"'
    )
    const sl = slicesOf(p1, 'reviews')
    assert.equal(sl.length, 1)
    assert.equal(
      (sl[0]?.metadata as { ownerReferences?: { uid: string }[] }).ownerReferences?.[0]?.uid,
      p1.get('services', 'reviews', NS)?.metadata.uid
    )
  })

  void it('federated ratings in prod-03 lists prod-01 ratings-1', async () => {
    await expectIps(p3, 'ratings', ['198.18.1.20'])
    assert.equal(
      subsetsOf(p3, 'ratings')?.[0]?.addresses?.[0]?.targetRef?.name,
      `${P1}/ratings-1-5c9a`
    )
  })

  void it('follows backing changes (a new pod in a remote slice)', async () => {
    p3.put(
      'endpointslices.discovery.k8s.io',
      endpointSlice(NS, 'reviews-v2', [
        { pod: 'reviews-v2-a1', ip: '198.18.3.10' },
        { pod: 'reviews-v2-a2', ip: '198.18.3.11' },
        { pod: 'reviews-v2-a3', ip: '198.18.3.12' },
      ])
    )
    await expectIps(p1, 'reviews', [
      '198.18.1.10',
      '198.18.3.10',
      '198.18.3.11',
      '198.18.3.12',
      '198.18.3.20',
    ])
  })

  void it('keeps a port only where name and protocol match, with the backend number', async () => {
    p1.put(
      'services',
      service(NS, 'dns', {
        federate: 'app == "dns"',
        ports: [
          { name: 'dns', protocol: 'UDP', port: 53 },
          { name: 'http', port: 80 },
        ],
      })
    )
    p3.put('services', service(NS, 'dns-b', { labels: { app: 'dns' }, selector: { app: 'dns' } }))
    p3.put(
      'endpointslices.discovery.k8s.io',
      endpointSlice(
        NS,
        'dns-b',
        [{ pod: 'dns-1', ip: '198.18.3.53' }],
        [
          { name: 'dns', protocol: 'UDP', port: 5353 },
          { name: 'dns', protocol: 'TCP', port: 5353 },
          { name: 'http', protocol: 'UDP', port: 8080 },
          { name: 'metrics', port: 9153 },
        ]
      )
    )
    await expectIps(p1, 'dns', ['198.18.3.53'])
    assert.deepEqual(subsetsOf(p1, 'dns')?.[0]?.ports, [
      { name: 'dns', protocol: 'UDP', port: 5353 },
    ])
    assert.deepEqual(slicesOf(p1, 'dns')[0]?.['ports'], [
      { name: 'dns', protocol: 'UDP', port: 5353 },
    ])
  })

  void it('never chains: a federated Service is not a backing Service of another', async () => {
    p1.put(
      'services',
      service(NS, 'tier-x', { federate: 'app == "ratings"', labels: { tier: 'x' } })
    )
    p1.put('services', service(NS, 'chain', { federate: 'tier == "x"' }))
    await expectIps(p1, 'tier-x', ['198.18.1.20', '198.18.3.99'].slice(0, 1))
    await waitFor(() => p1.get('endpoints', 'chain', NS) !== undefined, {
      timeoutMs: 10_000,
      what: 'chain endpoints',
    })
    assert.deepEqual(ipsOf(p1, 'chain'), [])
  })

  void it('owns only what it wrote: a hand-made Endpoints is untouched, a clash is reported, not overwritten', async () => {
    p1.put('endpoints', endpointsObject(NS, 'manual', [{ pod: 'm', ip: '198.18.1.77' }]))
    p1.put('endpoints', endpointsObject(NS, 'clash', [{ pod: 'c', ip: '198.18.1.78' }]))
    p1.put('services', service(NS, 'clash', { federate: 'app == "reviews"' }))
    // a slice of the same Service written by someone else is never touched
    p1.put(
      'endpointslices.discovery.k8s.io',
      endpointSlice(NS, 'clash', [{ pod: 'o', ip: '198.18.1.79' }], undefined, 'other')
    )
    await waitFor(() => eventsOf(p1, 'clash').some((e) => e.reason === 'NotOwned'), {
      timeoutMs: 10_000,
      what: 'NotOwned event',
    })
    assert.deepEqual(ipsOf(p1, 'clash'), ['198.18.1.78'])
    assert.equal(
      p1.get('endpoints', 'clash', NS)?.metadata.labels?.['endpointslice.kubernetes.io/managed-by'],
      undefined
    )
    // its slices are still written (they are ours)
    await waitFor(() => sliceIps(p1, 'clash').length === 5, {
      timeoutMs: 10_000,
      what: 'clash slices',
    })
    assert.deepEqual(ipsOf(p1, 'manual'), ['198.18.1.77'])
    assert.ok(p1.get('endpointslices.discovery.k8s.io', 'clash-other', NS) !== undefined)
  })

  void it('a Service with spec.selector is not federated (event); a bad selector is reported; others keep working', async () => {
    p1.put(
      'services',
      service(NS, 'with-sel', { federate: 'app == "reviews"', selector: { app: 'x' } })
    )
    p1.put('services', service(NS, 'bad-sel', { federate: 'app == ' }))
    p3.put('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'broken', namespace: NS, labels: { app: 'reviews' } },
      spec: { ports: 'nope' },
    })
    await waitFor(() => eventsOf(p1, 'with-sel').some((e) => e.reason === 'NotFederated'), {
      timeoutMs: 10_000,
      what: 'NotFederated event',
    })
    await waitFor(
      () =>
        eventsOf(p1, 'bad-sel').some(
          (e) => e.reason === 'InvalidSelector' && e.message.includes('app == ')
        ),
      {
        timeoutMs: 10_000,
        what: 'InvalidSelector event',
      }
    )
    assert.equal(p1.get('endpoints', 'with-sel', NS), undefined)
    assert.deepEqual(ipsOf(p1, 'bad-sel'), [])
    p1.put(
      'endpointslices.discovery.k8s.io',
      endpointSlice(NS, 'reviews-v1', [{ pod: 'reviews-v1-7d8f', ip: '198.18.1.11' }])
    )
    await expectIps(p1, 'reviews', [
      '198.18.1.11',
      '198.18.3.10',
      '198.18.3.11',
      '198.18.3.12',
      '198.18.3.20',
    ])
  })

  void it('real kubectl shows the federated endpoints and slices', async () => {
    const kubeconfig = await p1.writeKubeconfig(dir.path)
    const run = (...args: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        execFile(
          KUBECTL,
          ['--kubeconfig', kubeconfig, ...args],
          { timeout: 30_000 },
          (err, stdout, stderr) =>
            err === null
              ? resolve(stdout)
              : reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`))
        )
      })
    const eps = await run('get', 'endpoints', '-n', NS)
    assert.match(
      eps,
      /reviews\s+198\.18\.1\.11:9080,198\.18\.3\.10:9080,198\.18\.3\.11:9080 \+ 2 more\.\.\./
    )
    const slices = await run('get', 'endpointslices', '-n', NS)
    assert.match(
      slices,
      /reviews-cattail-0\s+IPv4\s+9080\s+198\.18\.1\.11,198\.18\.3\.10,198\.18\.3\.11 \+ 2 more/
    )
  })

  void it('removes what it wrote when a Service stops being federated', async () => {
    p1.put(
      'services',
      service(NS, 'dns', {
        labels: { app: 'plain' },
        ports: [{ name: 'dns', protocol: 'UDP', port: 53 }],
      })
    )
    await waitFor(
      () => p1.get('endpoints', 'dns', NS) === undefined && slicesOf(p1, 'dns').length === 0,
      {
        timeoutMs: 10_000,
        what: 'dns endpoints and slices removed',
      }
    )
    p1.remove('services', 'chain', NS)
    await waitFor(() => p1.get('endpoints', 'chain', NS) === undefined, {
      timeoutMs: 10_000,
      what: 'chain endpoints removed',
    })
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { waitFor } from '@cattail/common/testing'
import type { KubeObject, TestApiServer } from '@cattail/testapi'
import { microTime } from './leader.js'
import {
  TEST_SECRETS_NAMESPACE,
  endpointSlice,
  service,
  startTestController,
  startTestMesh,
  type Backend,
  type TestController,
} from './testing/index.js'

const NS = 'shop'

const ipsOf = (api: TestApiServer, name: string): string[] => {
  const subsets = (
    api.get('endpoints', name, NS) as { subsets?: { addresses?: { ip: string }[] }[] } | undefined
  )?.subsets
  return (subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort()
}

const fedSlices = (api: TestApiServer, svc: string): KubeObject[] =>
  api
    .list('endpointslices.discovery.k8s.io', NS)
    .filter(
      (o) =>
        o.metadata.labels?.['kubernetes.io/service-name'] === svc &&
        o.metadata.labels['endpointslice.kubernetes.io/managed-by'] === 'cattail'
    )

async function expectIps(
  api: TestApiServer,
  svc: string,
  want: string[],
  what: string
): Promise<void> {
  await waitFor(
    () => {
      assert.deepEqual(ipsOf(api, svc), [...want].sort())
      return true
    },
    { timeoutMs: 15_000, what }
  )
}

/** Cluster `a` federates `web` over `web-a` (local) and `web-b` (in cluster `b`). */
async function webMesh() {
  const mesh = await startTestMesh(['a', 'b'], [NS])
  const a = mesh.api('a')
  const b = mesh.api('b')
  a.put('services', service(NS, 'web', { federate: 'app == "web"' }))
  a.put('services', service(NS, 'web-a', { labels: { app: 'web' }, selector: { app: 'web' } }))
  a.put(
    'endpointslices.discovery.k8s.io',
    endpointSlice(NS, 'web-a', [{ pod: 'wa', ip: '198.18.10.1' }])
  )
  b.put('services', service(NS, 'web-b', { labels: { app: 'web' }, selector: { app: 'web' } }))
  b.put(
    'endpointslices.discovery.k8s.io',
    endpointSlice(NS, 'web-b', [{ pod: 'wb', ip: '198.18.20.1' }])
  )
  return { mesh, a, b }
}

void describe('federation controller: remote failure', () => {
  void it('withdraws a failed remote at once with grace 0, and federates it again when it is back', async (t) => {
    const { mesh, a, b } = await webMesh()
    t.after(() => mesh.stop())
    const c = await startTestController(a)
    t.after(() => c.stop())
    await expectIps(a, 'web', ['198.18.10.1', '198.18.20.1'], 'both addresses')
    await b.stop()
    await expectIps(a, 'web', ['198.18.10.1'], 'remote withdrawn')
    assert.equal(c.daemon.status().remotes.get('b')?.withdrawn, true)
    await b.restart()
    await expectIps(a, 'web', ['198.18.10.1', '198.18.20.1'], 'remote back')
  })

  void it('keeps a failed remote for the grace period, then withdraws it', async (t) => {
    const { mesh, a, b } = await webMesh()
    t.after(() => mesh.stop())
    const c = await startTestController(a, { options: { remoteGracePeriodMs: '3000' } })
    t.after(() => c.stop())
    await expectIps(a, 'web', ['198.18.10.1', '198.18.20.1'], 'both addresses')
    await b.stop()
    await waitFor(() => c.daemon.status().remotes.get('b')?.state === 'ConnectionFailed', {
      timeoutMs: 10_000,
      what: 'remote b failed',
    })
    // the failure is known, the grace period runs: the addresses are still there
    assert.deepEqual(ipsOf(a, 'web'), ['198.18.10.1', '198.18.20.1'])
    assert.equal(c.daemon.status().remotes.get('b')?.withdrawn, false)
    await expectIps(a, 'web', ['198.18.10.1'], 'remote withdrawn after the grace period')
  })
})

void describe('federation controller: short outage within the grace period', () => {
  void it('keeps the addresses of a remote that comes back before the grace period ends', async (t) => {
    const { mesh, a, b } = await webMesh()
    t.after(() => mesh.stop())
    const c = await startTestController(a, { options: { remoteGracePeriodMs: '600000' } })
    t.after(() => c.stop())
    await expectIps(a, 'web', ['198.18.10.1', '198.18.20.1'], 'both addresses')
    await b.stop()
    await waitFor(() => c.daemon.status().remotes.get('b')?.state === 'ConnectionFailed', {
      timeoutMs: 10_000,
      what: 'remote b failed',
    })
    await b.restart()
    await waitFor(() => c.daemon.status().remotes.get('b')?.state === 'InSync', {
      timeoutMs: 15_000,
      what: 'remote b back in sync',
    })
    assert.equal(c.daemon.status().remotes.get('b')?.withdrawn, false)
    assert.deepEqual(ipsOf(a, 'web'), ['198.18.10.1', '198.18.20.1'])
  })
})

void describe('federation controller: leader election', () => {
  void it('only the leader writes; the standby takes over when the leader stops', async (t) => {
    const { mesh, a } = await webMesh()
    t.after(() => mesh.stop())
    const r1 = await startTestController(a, { identity: 'r1' })
    const r2 = await startTestController(a, { identity: 'r2' })
    const all: TestController[] = [r1, r2]
    t.after(() => Promise.allSettled(all.map((r) => r.stop())))
    const leader = await waitFor(() => all.find((r) => r.daemon.status().leader), {
      timeoutMs: 10_000,
      what: 'a leader',
    })
    const standby = all.find((r) => r !== leader) as TestController
    assert.equal(standby.daemon.status().leader, false)
    await expectIps(a, 'web', ['198.18.10.1', '198.18.20.1'], 'written by the leader')
    const lease = a.get('leases.coordination.k8s.io', 'cattail-federation', TEST_SECRETS_NAMESPACE)
    assert.equal(
      (lease?.['spec'] as { holderIdentity?: string }).holderIdentity,
      leader === r1 ? 'r1' : 'r2'
    )
    await leader.stop()
    all.splice(all.indexOf(leader), 1)
    await waitFor(() => standby.daemon.status().leader, { timeoutMs: 10_000, what: 'hand-over' })
    a.put(
      'endpointslices.discovery.k8s.io',
      endpointSlice(NS, 'web-a', [{ pod: 'wa2', ip: '198.18.10.2' }])
    )
    await expectIps(a, 'web', ['198.18.10.2', '198.18.20.1'], 'written by the new leader')
  })

  void it('takes over a lease whose holder stopped renewing once it expires', async (t) => {
    const mesh = await startTestMesh(['solo'], [NS])
    t.after(() => mesh.stop())
    const api = mesh.api('solo')
    const old = microTime(new Date())
    api.put('leases.coordination.k8s.io', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'cattail-federation', namespace: TEST_SECRETS_NAMESPACE },
      spec: {
        holderIdentity: 'ghost',
        leaseDurationSeconds: 1,
        acquireTime: old,
        renewTime: old,
        leaseTransitions: 3,
      },
    })
    const r = await startTestController(api, { identity: 'heir' })
    t.after(() => r.stop())
    await waitFor(() => r.daemon.status().leader, {
      timeoutMs: 10_000,
      what: 'take-over after expiry',
    })
    const spec = api.get(
      'leases.coordination.k8s.io',
      'cattail-federation',
      TEST_SECRETS_NAMESPACE
    )?.['spec'] as {
      holderIdentity: string
      leaseTransitions: number
    }
    assert.deepEqual([spec.holderIdentity, spec.leaseTransitions], ['heir', 4])
  })
})

void describe('federation controller: many addresses', () => {
  void it('2,500 backing addresses: 25 EndpointSlices of 100, Endpoints truncated to 1,000 and annotated', async (t) => {
    const { mesh, a, b } = await webMesh()
    t.after(() => mesh.stop())
    const ip = (i: number): string => `198.19.${Math.floor(i / 250)}.${(i % 250) + 1}`
    const backends = (from: number, n: number, prefix: string): Backend[] =>
      Array.from({ length: n }, (_, i) => ({ pod: `${prefix}-${from + i}`, ip: ip(from + i) }))
    a.remove('endpointslices.discovery.k8s.io', 'web-a-x1', NS)
    b.remove('endpointslices.discovery.k8s.io', 'web-b-x1', NS)
    for (let s = 0; s < 15; s++)
      a.put(
        'endpointslices.discovery.k8s.io',
        endpointSlice(NS, 'web-a', backends(s * 100, 100, 'pa'), undefined, `s${s}`)
      )
    for (let s = 0; s < 10; s++)
      b.put(
        'endpointslices.discovery.k8s.io',
        endpointSlice(NS, 'web-b', backends(1500 + s * 100, 100, 'pb'), undefined, `s${s}`)
      )
    const c = await startTestController(a)
    t.after(() => c.stop())
    await waitFor(
      () => {
        const slices = fedSlices(a, 'web')
        const ips = slices.flatMap((s) =>
          (s['endpoints'] as { addresses: string[] }[]).map((e) => e.addresses[0])
        )
        assert.equal(new Set(ips).size, 2500)
        assert.equal(slices.length, 25)
        assert.ok(slices.every((s) => (s['endpoints'] as unknown[]).length === 100))
        return true
      },
      { timeoutMs: 30_000, what: '25 federated slices with 2,500 addresses' }
    )
    const ep = a.get('endpoints', 'web', NS)
    assert.equal(ep?.metadata.annotations?.['endpoints.kubernetes.io/over-capacity'], 'truncated')
    assert.equal(ipsOf(a, 'web').length, 1000)
    const remote = fedSlices(a, 'web')
      .flatMap((s) => s['endpoints'] as { targetRef?: { name?: string } }[])
      .filter((e) => e.targetRef?.name?.startsWith('b/pb-') === true)
    assert.equal(remote.length, 1000)
  })
})

import { strict as assert } from 'node:assert'
import { Writable } from 'node:stream'
import { afterEach, describe, it } from 'node:test'
import { pino } from 'pino'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir, waitFor } from '@cattail/common/testing'
import type {
  CalicoNode,
  IPAMBlock,
  IPPool,
  RemoteClusterConfiguration,
  RemoteClusterStatus,
  ResourceKind,
  WorkloadEndpoint,
} from '@cattail/model'
import { RemoteObjectRejectedError } from '../errors.js'
import { VtepMacConflicts } from './mac-conflicts.js'
import { createMeshSyncer, type MeshSyncer } from './mesh-syncer.js'
import { badVtepMacReason, cidrsOverlap, LocalAddressView, parseCidr } from './remote-guard.js'
import { FakeFactory, type FakeSyncer } from './testing/fake-syncer.js'
import { StreamRecorder } from './testing/stream-recorder.js'

const KINDS = new Set<ResourceKind>([
  'WorkloadEndpoint',
  'HostEndpoint',
  'Profile',
  'Node',
  'IPPool',
  'IPAMBlock',
  'RemoteClusterStatus',
])

const pool = (name: string, cidr: string): IPPool => ({
  kind: 'IPPool',
  metadata: { name },
  spec: { cidr, vxlanMode: 'Always', ipipMode: 'Never', natOutgoing: false, disabled: false },
})
const block = (cidr: string): IPAMBlock => ({
  kind: 'IPAMBlock',
  metadata: { name: cidr.replace(/[./]/g, '-') },
  spec: { cidr, allocations: [], unallocated: [], attributes: [] },
})
const node = (name: string, ip?: string, mac?: string): CalicoNode => ({
  kind: 'Node',
  metadata: { name },
  spec: {
    ...(ip !== undefined && { bgp: { ipv4Address: `${ip}/24` } }),
    ...(mac !== undefined && { vxlanTunnelMACAddr: mac }),
  },
})
const wep = (name: string): WorkloadEndpoint => ({
  kind: 'WorkloadEndpoint',
  metadata: { name, namespace: 'default' },
  spec: { orchestrator: 'k8s', node: 'n', endpoint: 'eth0', ipNetworks: [], profiles: [] },
})
const overlayRcc = (name: string, ep: string): RemoteClusterConfiguration => ({
  kind: 'RemoteClusterConfiguration',
  metadata: { name },
  spec: {
    datastoreType: 'etcdv3',
    etcdEndpoints: ep,
    syncOptions: { overlayRoutingMode: 'Enabled' },
  },
})

interface Harness {
  mesh: MeshSyncer
  f: FakeFactory
  rec: StreamRecorder
  local: FakeSyncer
  logs: Record<string, unknown>[]
}

const running: MeshSyncer[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((m) => m.stop()))
})

async function harness(
  opts: { serviceCidrs?: string[]; limit?: number; fileCheckMs?: number } = {}
): Promise<Harness> {
  const f = new FakeFactory()
  const rec = new StreamRecorder()
  const logs: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n'))
        if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      cb()
    },
  })
  const mesh = createMeshSyncer(
    { type: 'file', dir: '/nonexistent' },
    {
      kinds: KINDS,
      log: pino({ level: 'info' }, sink),
      remoteInSyncTimeoutMs: 60_000,
      remoteConnectTimeoutMs: 60_000,
      retryBackoff: { initialMs: 5, maxMs: 20, factor: 2, jitter: 0 },
      createSyncer: f.create,
      ...(opts.serviceCidrs !== undefined && { serviceCidrs: opts.serviceCidrs }),
      ...(opts.limit !== undefined && { remoteObjectLimit: opts.limit }),
      ...(opts.fileCheckMs !== undefined && { remoteFileCheckIntervalMs: opts.fileCheckMs }),
    },
    rec
  )
  running.push(mesh)
  await mesh.start()
  return { mesh, f, rec, local: f.local, logs }
}

async function syncRemote(h: Harness, ep: string, ...items: Parameters<FakeSyncer['push']>) {
  const r = await waitFor(() => h.f.live(ep).find((x) => x.status === 'wait-for-ready'), {
    what: `a new syncer for ${ep}`,
  })
  await waitFor(() => r.started)
  r.setStatus('resync-in-progress')
  r.push(...items)
  r.setStatus('in-sync')
  return r
}

const statusOf = (h: Harness, name: string): RemoteClusterStatus['spec'] | undefined => {
  const v = h.rec.state.get(`RemoteClusterStatus/${name}`)
  return v?.kind === 'RemoteClusterStatus' ? v.spec : undefined
}

void describe('remote guard (pure)', () => {
  void it('CIDR overlap, IPv4 and IPv6', () => {
    const c = (s: string) => parseCidr(s) ?? assert.fail(s)
    assert.ok(cidrsOverlap(c('10.0.0.0/8'), c('10.1.2.0/24')))
    assert.ok(cidrsOverlap(c('10.1.2.0/24'), c('10.0.0.0/8')))
    assert.ok(!cidrsOverlap(c('10.0.0.0/16'), c('10.1.0.0/16')))
    assert.ok(!cidrsOverlap(c('10.0.0.0/8'), c('fd00::/8')))
    assert.ok(cidrsOverlap(c('fd00::/8'), c('fd00:1::/64')))
    assert.equal(parseCidr('10.0.0.0/33'), undefined)
    assert.equal(parseCidr('nope/8'), undefined)
  })

  void it('VTEP MACs: all-zero, broadcast, multicast and garbage are refused', () => {
    assert.match(badVtepMacReason('00:00:00:00:00:00') ?? '', /all-zero/)
    assert.match(badVtepMacReason('ff:ff:ff:ff:ff:ff') ?? '', /broadcast/)
    assert.match(badVtepMacReason('01:00:5e:00:00:01') ?? '', /multicast/)
    assert.match(badVtepMacReason('zz') ?? '', /not a MAC/)
    assert.equal(badVtepMacReason('66:0a:1b:2c:3d:4e'), undefined)
  })

  void it('LocalAddressView follows local Nodes and pools', () => {
    const v = new LocalAddressView(['10.96.0.0/12'])
    v.observe({ key: 'Node/n1', value: node('n1', '192.168.5.10'), revision: '1' })
    v.observe({ key: 'IPPool/p', value: pool('p', '10.244.0.0/16'), revision: '1' })
    assert.equal(v.check(pool('x', '192.168.5.0/24'))?.reason, 'overlaps-node-address')
    assert.equal(v.check(block('10.100.0.0/26'))?.reason, 'overlaps-service-cidr')
    assert.equal(v.check(block('10.244.3.0/26'))?.reason, 'overlaps-local-pool')
    assert.equal(v.check(pool('ok', '10.245.0.0/16')), undefined)
    v.observe({ key: 'Node/n1', value: undefined, revision: '2' })
    v.observe({ key: 'IPPool/p', value: undefined, revision: '2' })
    assert.equal(v.check(pool('x', '192.168.5.0/24')), undefined)
    assert.equal(v.check(block('10.244.3.0/26')), undefined)
  })

  void it('VtepMacConflicts: same name and no published MAC in two clusters collide', () => {
    const m = new VtepMacConflicts()
    m.set('', 'n1', undefined)
    m.set('b', 'n1', undefined)
    m.set('b', 'n2', '66:00:00:00:00:01')
    m.set('', 'n2', '66:00:00:00:00:02')
    assert.deepEqual(m.conflictsOf('b'), ['n1'])
    assert.equal(m.total, 1)
    m.set('b', 'n1', '66:00:00:00:00:03')
    assert.deepEqual(m.conflictsOf('b'), [])
    assert.equal(m.total, 0)
  })
})

void describe('mesh syncer: a remote cannot reroute or flood the local cluster', () => {
  void it('refuses overlapping pools and blocks and bad VTEP MACs, reports each, keeps the rest', async () => {
    const h = await harness({ serviceCidrs: ['10.96.0.0/12'] })
    h.local.push(node('ln1', '192.168.5.10'), pool('local', '10.244.0.0/16'))
    h.local.push(overlayRcc('b', 'http://b:2379'))
    h.local.setStatus('in-sync')
    await syncRemote(
      h,
      'http://b:2379',
      pool('underlay', '192.168.0.0/16'),
      pool('svc', '10.96.0.0/16'),
      pool('clash', '10.244.128.0/17'),
      block('10.244.1.0/26'),
      pool('fine', '10.50.0.0/16'),
      block('10.50.0.0/26'),
      node('zero', undefined, '00:00:00:00:00:00'),
      node('mcast', undefined, '01:00:5e:00:00:01'),
      node('good', undefined, '66:0a:1b:2c:3d:4e')
    )
    await waitFor(() => h.rec.remoteState('b') === 'InSync')
    const keys = h.rec.keysOf('b')
    assert.ok(keys.includes('b/IPPool/fine'))
    assert.ok(keys.includes('b/IPAMBlock/10-50-0-0-26'))
    assert.ok(keys.includes('b/Node/good'))
    for (const k of ['underlay', 'svc', 'clash']) assert.ok(!keys.includes(`b/IPPool/${k}`), k)
    assert.ok(!keys.includes('b/IPAMBlock/10-244-1-0-26'))
    assert.ok(!keys.includes('b/Node/zero') && !keys.includes('b/Node/mcast'))
    const st = statusOf(h, 'b')
    assert.deepEqual(st?.rejected, {
      'overlaps-node-address': 1,
      'overlaps-service-cidr': 1,
      'overlaps-local-pool': 2,
      'bad-vtep-mac': 2,
    })
    assert.match(st?.lastRejection ?? '', /multicast/)
    const errs = h.rec.failures.filter((e) => e instanceof RemoteObjectRejectedError)
    assert.equal(errs.length, 6)
    assert.ok(errs.every((e) => e instanceof RemoteObjectRejectedError && e.remote === 'b'))
    const lines = h.logs.filter((l) => l['msg'] === 'remote object refused')
    assert.equal(lines.length, 6)
    assert.ok(lines.some((l) => l['key'] === 'b/IPPool/underlay'))
    // Local state is untouched.
    assert.ok(h.rec.state.has('IPPool/local') && h.rec.state.has('Node/ln1'))
  })

  void it('a remote past its object limit: new objects refused, status says so, others unaffected', async () => {
    const h = await harness({ limit: 3 })
    h.local.push(overlayRcc('b', 'http://b:2379'), overlayRcc('c', 'http://c:2379'))
    h.local.setStatus('in-sync')
    const rb = await syncRemote(h, 'http://b:2379', wep('w1'), wep('w2'), wep('w3'), wep('w4'))
    await syncRemote(h, 'http://c:2379', wep('x1'), wep('x2'))
    await waitFor(() => h.rec.remoteState('b') === 'InSync' && h.rec.remoteState('c') === 'InSync')
    assert.equal(h.rec.keysOf('b').length, 3)
    assert.equal(statusOf(h, 'b')?.rejected?.['object-limit'], 1)
    assert.match(statusOf(h, 'b')?.lastRejection ?? '', /limit/)
    assert.equal(statusOf(h, 'c')?.rejected, undefined)
    assert.equal(h.rec.keysOf('c').length, 2)
    // Keys it already holds still update; a freed slot is usable again.
    rb.push('WorkloadEndpoint/default/w1')
    rb.push(wep('w5'))
    await waitFor(() => h.rec.state.has('b/WorkloadEndpoint/default/w5'))
    assert.equal(h.rec.keysOf('b').length, 3)
    assert.equal(h.logs.filter((l) => l['reason'] === 'object-limit').length, 1)
  })

  void it('same-named nodes without a published MAC in two clusters: status, log with the fix', async () => {
    const h = await harness()
    h.local.push(node('n1', '192.168.5.10'), overlayRcc('b', 'http://b:2379'))
    h.local.setStatus('in-sync')
    const rb = await syncRemote(h, 'http://b:2379', node('n1'), node('n2'))
    await waitFor(() => (statusOf(h, 'b')?.vtepMacConflicts ?? []).length === 1)
    assert.deepEqual(statusOf(h, 'b')?.vtepMacConflicts, ['n1'])
    assert.equal(h.mesh.vtepMacConflictCount, 1)
    const line = h.logs.find((l) => String(l['msg']).startsWith('VXLAN tunnel MAC conflict'))
    assert.equal(line?.['node'], 'n1')
    assert.match(String(line?.['msg']), /publish vxlanTunnelMACAddr on one of them/)
    // The fix: the remote publishes a MAC.
    rb.push(node('n1', undefined, '66:0a:1b:2c:3d:4e'))
    await waitFor(() => statusOf(h, 'b')?.vtepMacConflicts === undefined)
    assert.equal(h.mesh.vtepMacConflictCount, 0)
  })

  void it('TLS files changed in place at the same path are re-read: the remote reconnects', async () => {
    const dir = await tempDir('cattail-remote-files-')
    try {
      const ca = join(dir.path, 'ca.pem')
      await writeFile(ca, 'CA-1')
      const h = await harness({ fileCheckMs: 20 })
      h.local.push({
        kind: 'RemoteClusterConfiguration',
        metadata: { name: 'b' },
        spec: { datastoreType: 'etcdv3', etcdEndpoints: 'https://b:2379', etcdCACertFile: ca },
      })
      h.local.setStatus('in-sync')
      const first = await syncRemote(h, 'https://b:2379', wep('w1'))
      const cfgOf = (s: FakeSyncer) => s.cfg
      const tlsCa = (s: FakeSyncer) => {
        const c = cfgOf(s)
        return c.type === 'etcdv3' ? c.tls?.ca : undefined
      }
      assert.equal(tlsCa(first), 'CA-1')
      await waitFor(() => h.rec.remoteState('b') === 'InSync')
      await writeFile(ca, 'CA-2')
      const second = await waitFor(
        () => h.f.live('https://b:2379').find((s) => s !== first && !s.stopped),
        { what: 'a new remote syncer after the file changed' }
      )
      assert.equal(tlsCa(second), 'CA-2')
      assert.ok(first.stopped)
    } finally {
      await dir.remove()
    }
  })
})

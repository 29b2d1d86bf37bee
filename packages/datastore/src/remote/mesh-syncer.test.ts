import { strict as assert } from 'node:assert'
import { Writable } from 'node:stream'
import { afterEach, describe, it } from 'node:test'
import { pino } from 'pino'
import { MeshError } from '@cattail/common'
import { ValidationError } from '@cattail/model'
import { waitFor } from '@cattail/common/testing'
import type {
  CalicoNode,
  NetworkPolicy,
  Profile,
  RemoteClusterConfiguration,
  RemoteClusterConfigurationSpec,
  ResourceKind,
  Secret,
  WorkloadEndpoint,
} from '@cattail/model'
import { BadObjectError } from '../errors.js'
import { FakeFactory, type FakeSyncer } from './testing/fake-syncer.js'
import { createMeshSyncer, type MeshSyncer } from './mesh-syncer.js'
import type { RemoteStatus } from './remote-status.js'
import { StreamRecorder } from './testing/stream-recorder.js'

const ALL_KINDS = new Set<ResourceKind>([
  'WorkloadEndpoint',
  'HostEndpoint',
  'Profile',
  'Node',
  'IPPool',
  'IPAMBlock',
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'RemoteClusterStatus',
])

const wep = (name: string, node = 'n1', extra: Record<string, string> = {}): WorkloadEndpoint => ({
  kind: 'WorkloadEndpoint',
  metadata: { name, namespace: 'default', labels: { app: name, ...extra } },
  spec: {
    orchestrator: 'k8s',
    node,
    endpoint: 'eth0',
    ipNetworks: ['198.19.0.1/32'],
    profiles: ['kns.default'],
  },
})
const profile = (name: string): Profile => ({
  kind: 'Profile',
  metadata: { name },
  spec: { labelsToApply: { ns: name } },
})
const node = (name: string): CalicoNode => ({ kind: 'Node', metadata: { name }, spec: {} })
const policy: NetworkPolicy = {
  kind: 'NetworkPolicy',
  metadata: { name: 'p', namespace: 'default' },
  spec: { selector: 'all()' },
}
const rcc = (
  name: string,
  spec: RemoteClusterConfigurationSpec,
  labels?: Record<string, string>
): RemoteClusterConfiguration => ({
  kind: 'RemoteClusterConfiguration',
  metadata: { name, ...(labels !== undefined && { labels }) },
  spec,
})
const etcdRcc = (name: string, ep: string, overlay = false): RemoteClusterConfiguration =>
  rcc(name, {
    datastoreType: 'etcdv3',
    etcdEndpoints: ep,
    ...(overlay && { syncOptions: { overlayRoutingMode: 'Enabled' as const } }),
  })
const secret = (
  name: string,
  data: Record<string, string>,
  namespace = 'cattail-system'
): Secret => ({
  kind: 'Secret',
  metadata: { name, namespace },
  spec: { data },
})

interface Harness {
  mesh: MeshSyncer
  f: FakeFactory
  rec: StreamRecorder
  local: FakeSyncer
  logs: Record<string, unknown>[]
  hook: [string, RemoteStatus | undefined][]
}

const running: MeshSyncer[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((m) => m.stop()))
})

async function harness(timeoutMs = 60_000, connectTimeoutMs = 60_000): Promise<Harness> {
  const f = new FakeFactory()
  const rec = new StreamRecorder()
  const logs: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      }
      cb()
    },
  })
  const hook: [string, RemoteStatus | undefined][] = []
  const mesh = createMeshSyncer(
    { type: 'file', dir: '/nonexistent' },
    {
      kinds: ALL_KINDS,
      log: pino({ level: 'info' }, sink),
      remoteInSyncTimeoutMs: timeoutMs,
      remoteConnectTimeoutMs: connectTimeoutMs,
      retryBackoff: { initialMs: 5, maxMs: 20, factor: 2, jitter: 0 },
      createSyncer: f.create,
      onRemoteStatus: (n, s) => hook.push([n, s]),
    },
    rec
  )
  running.push(mesh)
  await mesh.start()
  return { mesh, f, rec, local: f.local, logs, hook }
}

/** Brings remote at `ep` to in-sync with `items`. */
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

void describe('mesh syncer (fake drivers)', () => {
  void it('forwards local updates as-is and never forwards RCCs or Secrets', async () => {
    const h = await harness()
    assert.ok(h.local.opts.kinds.has('RemoteClusterConfiguration'))
    assert.ok(h.local.opts.kinds.has('Secret'))
    assert.equal(h.local.opts.secretsNamespace, 'cattail-system')
    h.local.push(wep('w1'), etcdRcc('b', 'http://b:2379'), secret('s', { etcdPassword: 'x' }))
    assert.deepEqual([...h.rec.state.keys()], ['WorkloadEndpoint/default/w1'])
    h.local.setStatus('in-sync')
    assert.ok(
      h.rec.updates.every(
        (u) => !u.key.includes('Secret') && !u.key.includes('RemoteClusterConfiguration/')
      )
    )
  })

  void it('sends Connecting synchronously, logs the contract lines, renames remote keys and gates in-sync', async () => {
    const h = await harness()
    h.local.push(wep('w1'), etcdRcc('b', 'http://b:2379'))
    h.local.setStatus('in-sync')
    assert.deepEqual(h.rec.remoteHistory('b'), ['Connecting'])
    assert.equal(h.mesh.status, 'resync-in-progress')
    const created = h.logs.find(
      (l) => l['msg'] === 'Creating syncer for RemoteClusterConfiguration(b)'
    )
    assert.equal(created?.['remote'], 'b')
    const r = await syncRemote(
      h,
      'http://b:2379',
      wep('w1', 'rn1'),
      profile('kns.default'),
      node('rn1'),
      policy
    )
    assert.deepEqual([...r.opts.kinds].sort(), ['HostEndpoint', 'Profile', 'WorkloadEndpoint'])
    assert.deepEqual(h.rec.keysOf('b'), ['b/Profile/kns.default', 'b/WorkloadEndpoint/default/w1'])
    const v = h.rec.state.get('b/WorkloadEndpoint/default/w1') as WorkloadEndpoint
    assert.equal(v.spec.node, 'b/rn1')
    assert.deepEqual(v.spec.profiles, ['b/kns.default'])
    assert.equal(h.rec.state.get('b/Profile/kns.default')?.metadata.name, 'b/kns.default')
    assert.deepEqual(h.rec.remoteHistory('b'), ['Connecting', 'ResyncInProgress', 'InSync'])
    // The remote's InSync status KV reaches consumers before the combined in-sync.
    const ev = h.rec.events
    assert.ok(ev.lastIndexOf('kv:RemoteClusterStatus/b') < ev.indexOf('status:in-sync'))
    assert.equal(h.mesh.status, 'in-sync')
    const insync = h.logs.filter(
      (l) => l['msg'] === 'Sending in-sync update for RemoteClusterConfiguration(b)'
    )
    assert.equal(insync.length, 1)
    assert.equal(insync[0]?.['remote'], 'b')
    assert.deepEqual(h.mesh.remoteStatuses().get('b'), { status: 'InSync' })
    assert.deepEqual(
      h.hook.map(([n, s]) => `${n}:${s?.status}`),
      ['b:Connecting', 'b:ResyncInProgress', 'b:InSync']
    )
  })

  void it('a failed start-up remote releases the gate; one that never answers is bounded by the timeout', async () => {
    const h = await harness(100)
    h.local.push(etcdRcc('dead', 'http://dead:2379'), etcdRcc('slow', 'http://slow:2379'))
    h.local.setStatus('in-sync')
    const dead = await waitFor(() => h.f.live('http://dead:2379')[0])
    class ConnErr extends MeshError {
      readonly code = 'ERR_CONNECTION'
    }
    dead.callbacks.onFailure(new ConnErr('connection refused'))
    assert.equal(h.rec.remoteState('dead'), 'ConnectionFailed')
    assert.equal(h.rec.remoteError('dead'), 'connection refused')
    assert.equal(h.mesh.status, 'resync-in-progress')
    await waitFor(() => h.mesh.status === 'in-sync', { what: 'in-sync after the timeout' })
    assert.equal(h.rec.remoteState('slow'), 'Connecting')
    assert.ok(
      h.logs.some(
        (l) => l['msg'] === 'remote clusters not in sync in time; reporting in-sync without them'
      )
    )
  })

  void it('a remote with no answer at all becomes ConnectionFailed after the connect timeout, then recovers', async () => {
    const h = await harness(60_000, 50)
    h.local.push(etcdRcc('b', 'http://b:2379'), etcdRcc('c', 'http://c:2379'))
    h.local.setStatus('in-sync')
    const c = await waitFor(() => h.f.live('http://c:2379')[0])
    await waitFor(() => c.started)
    c.setStatus('resync-in-progress') // first contact: slow, but not failed
    await waitFor(() => h.rec.remoteState('b') === 'ConnectionFailed')
    assert.match(h.rec.remoteError('b') ?? '', /no answer from the remote datastore within 50 ms/)
    assert.equal(h.rec.remoteState('c'), 'ResyncInProgress')
    const b = h.f.remote('http://b:2379')
    b.setStatus('resync-in-progress')
    b.setStatus('in-sync')
    assert.equal(h.rec.remoteState('b'), 'InSync')
  })

  void it('RCCs added after start-up never gate; an object error is not a connection failure', async () => {
    const h = await harness()
    h.local.setStatus('in-sync')
    assert.equal(h.mesh.status, 'in-sync')
    h.local.push(etcdRcc('late', 'http://late:2379'))
    const r = await waitFor(() => h.f.live('http://late:2379')[0])
    class BadObj extends MeshError {
      readonly code = 'ERR_VALIDATION'
    }
    r.callbacks.onFailure(new BadObj('bad wep'))
    assert.equal(h.rec.remoteState('late'), 'Connecting')
    assert.deepEqual(h.rec.statuses, ['in-sync'])
  })

  void it('a Secret that appears after its RCC: ConfigIncomplete → Connecting → ResyncInProgress → InSync', async () => {
    const h = await harness()
    h.local.push(rcc('b', { clusterAccessSecret: { name: 'b-access' } }))
    h.local.setStatus('in-sync')
    assert.equal(h.rec.remoteState('b'), 'ConfigIncomplete')
    assert.match(h.rec.remoteError('b') ?? '', /cattail-system\/b-access not found/)
    assert.equal(h.mesh.status, 'in-sync', 'a ConfigIncomplete remote has failed once')
    h.local.push(secret('b-access', { etcdEndpoints: 'http://b:2379' }))
    await syncRemote(h, 'http://b:2379', wep('w1'))
    assert.deepEqual(h.rec.remoteHistory('b'), [
      'ConfigIncomplete',
      'Connecting',
      'ResyncInProgress',
      'InSync',
    ])
    assert.deepEqual(h.rec.keysOf('b'), ['b/WorkloadEndpoint/default/w1'])
  })

  void it('a Secret outside the watched namespace is ConfigIncomplete with a clear reason', async () => {
    const h = await harness()
    h.local.push(rcc('b', { clusterAccessSecret: { name: 's', namespace: 'other' } }))
    h.local.setStatus('in-sync')
    assert.equal(h.rec.remoteState('b'), 'ConfigIncomplete')
    assert.match(
      h.rec.remoteError('b') ?? '',
      /other\/s is outside the watched secrets namespace cattail-system: access Secrets must be in namespace cattail-system$/
    )
  })

  void it('a hot Secret change reconnects only that remote and emits only the differences', async () => {
    const h = await harness()
    h.local.push(
      rcc('b', { clusterAccessSecret: { name: 'b-access' } }),
      secret('b-access', { etcdEndpoints: 'http://b1:2379' }),
      etcdRcc('c', 'http://c:2379')
    )
    h.local.setStatus('in-sync')
    const old = await syncRemote(h, 'http://b1:2379', wep('w1'), wep('w2'))
    await syncRemote(h, 'http://c:2379', wep('w1'))
    const mark = h.rec.updates.length
    const created = h.f.created.length
    h.local.push(secret('b-access', { etcdEndpoints: 'http://b2:2379' }))
    assert.equal(h.rec.remoteState('b'), 'Connecting')
    await waitFor(() => old.stopped)
    const nu = await syncRemote(h, 'http://b2:2379', wep('w1'), wep('w3'))
    assert.equal(h.f.created.length, created + 1)
    assert.deepEqual(
      h.rec.updatesOf('b', mark).map((u) => `${u.value === undefined ? '-' : '+'}${u.key}`),
      ['+b/WorkloadEndpoint/default/w3', '-b/WorkloadEndpoint/default/w2']
    )
    assert.deepEqual(h.rec.updatesOf('c', mark), [], 'the other remote is untouched')
    assert.equal(h.rec.remoteState('b'), 'InSync')
    // The superseded syncer can no longer reach consumers.
    old.push(wep('ghost'))
    assert.equal(h.rec.state.has('b/WorkloadEndpoint/default/ghost'), false)
    nu.push(wep('w4'))
    assert.equal(h.rec.state.has('b/WorkloadEndpoint/default/w4'), true)
  })

  void it('an RCC change that does not matter (labels) does not reconnect', async () => {
    const h = await harness()
    h.local.push(etcdRcc('b', 'http://b:2379'))
    h.local.setStatus('in-sync')
    await syncRemote(h, 'http://b:2379', wep('w1'))
    const created = h.f.created.length
    const mark = h.rec.updates.length
    h.local.push({
      ...etcdRcc('b', 'http://b:2379'),
      metadata: { name: 'b', labels: { x: 'y' }, resourceVersion: '9' },
    })
    assert.equal(h.f.created.length, created)
    assert.deepEqual(h.rec.updates.slice(mark), [])
  })

  void it('flipping overlayRoutingMode adds and removes exactly the overlay kinds', async () => {
    const h = await harness()
    h.local.push(etcdRcc('b', 'http://b:2379'))
    h.local.setStatus('in-sync')
    const ep = 'http://b:2379'
    await syncRemote(h, ep, wep('w1'), node('n1'))
    assert.deepEqual(h.rec.keysOf('b'), ['b/WorkloadEndpoint/default/w1'])
    let mark = h.rec.updates.length
    h.local.push(etcdRcc('b', ep, true))
    const on = await syncRemote(h, ep, wep('w1'), node('n1'))
    assert.ok(
      on.opts.kinds.has('Node') && on.opts.kinds.has('IPPool') && on.opts.kinds.has('IPAMBlock')
    )
    assert.deepEqual(
      h.rec.updatesOf('b', mark).map((u) => u.key),
      ['b/Node/n1']
    )
    assert.equal(h.rec.state.get('b/Node/n1')?.metadata.name, 'b/n1')
    mark = h.rec.updates.length
    h.local.push(etcdRcc('b', ep, false))
    await syncRemote(h, ep, wep('w1'))
    assert.deepEqual(
      h.rec.updatesOf('b', mark).map((u) => `${u.value === undefined ? '-' : '+'}${u.key}`),
      ['-b/Node/n1']
    )
  })

  void it('deleting an RCC removes all of its keys, the status key last', async () => {
    const h = await harness()
    h.local.push(etcdRcc('b', 'http://b:2379'))
    h.local.setStatus('in-sync')
    const r = await syncRemote(h, 'http://b:2379', wep('w1'), wep('w2'), profile('kns.default'))
    h.local.push('RemoteClusterConfiguration/b')
    assert.deepEqual(h.rec.keysOf('b'), [])
    assert.equal(h.rec.state.has('RemoteClusterStatus/b'), false)
    const last = h.rec.events.filter((e) => e.includes('b/') || e.endsWith('Status/b'))
    assert.equal(last[last.length - 1], 'del:RemoteClusterStatus/b')
    await waitFor(() => r.stopped)
    assert.equal(h.mesh.remoteStatuses().has('b'), false)
    assert.deepEqual(h.hook[h.hook.length - 1], ['b', undefined])
  })

  void it('an RCC that becomes invalid removes its keys and reports ConfigIncomplete; bad RCCs hurt no one', async () => {
    const h = await harness()
    h.local.push(
      etcdRcc('b', 'http://b:2379'),
      rcc('junk', 'not-a-spec' as unknown as RemoteClusterConfigurationSpec),
      etcdRcc('Bad_Name', 'http://x:2379'),
      etcdRcc('c', 'http://c:2379')
    )
    h.local.setStatus('in-sync')
    assert.equal(h.rec.remoteState('junk'), 'ConfigIncomplete')
    assert.match(h.rec.remoteError('junk') ?? '', /spec is missing or not an object/)
    assert.equal(h.rec.remoteState('Bad_Name'), 'ConfigIncomplete')
    await syncRemote(h, 'http://b:2379', wep('w1'))
    await syncRemote(h, 'http://c:2379', wep('w1'))
    assert.equal(h.mesh.status, 'in-sync')
    h.local.push(etcdRcc('b', 'not a url'))
    assert.deepEqual(h.rec.keysOf('b'), [])
    assert.equal(h.rec.remoteState('b'), 'ConfigIncomplete')
    assert.match(h.rec.remoteError('b') ?? '', /"not a url" is not an http\(s\) URL/)
    assert.deepEqual(h.rec.keysOf('c'), ['c/WorkloadEndpoint/default/w1'])
    // And back: valid again → reconnects and repopulates.
    h.local.push(etcdRcc('b', 'http://b:2379'))
    await waitFor(() => h.f.live('http://b:2379').length === 1)
    await syncRemote(h, 'http://b:2379', wep('w1'))
    assert.deepEqual(h.rec.keysOf('b'), ['b/WorkloadEndpoint/default/w1'])
  })

  void it('an RCC the local driver rejects as malformed shows ConfigIncomplete with its reason', async () => {
    const h = await harness()
    h.local.push(etcdRcc('b', 'http://b:2379'))
    h.local.setStatus('in-sync')
    await syncRemote(h, 'http://b:2379', wep('w1'))
    const bad = new ValidationError(
      'RemoteClusterConfiguration',
      'b',
      'spec.etcdEndpoints',
      'must be a string'
    )
    h.local.callbacks.onFailure(
      new BadObjectError('remoteclusterconfigurations b', bad.message, bad)
    )
    h.local.push('RemoteClusterConfiguration/b') // the driver treats it as absent
    assert.equal(h.rec.failures.length, 1, 'the failure is still forwarded')
    assert.deepEqual(h.rec.keysOf('b'), [])
    assert.equal(h.rec.remoteState('b'), 'ConfigIncomplete')
    assert.match(h.rec.remoteError('b') ?? '', /spec\.etcdEndpoints must be a string/)
    h.local.push(etcdRcc('b', 'http://b:2379'))
    await syncRemote(h, 'http://b:2379', wep('w1'))
    assert.equal(h.rec.remoteState('b'), 'InSync')
  })

  void it('a lost connection keeps the remote data (fail-static) and recovers', async () => {
    const h = await harness()
    h.local.push(etcdRcc('b', 'http://b:2379'))
    h.local.setStatus('in-sync')
    const r = await syncRemote(h, 'http://b:2379', wep('w1'))
    class ConnErr extends MeshError {
      readonly code = 'ERR_CONNECTION'
    }
    r.setStatus('resync-in-progress')
    r.callbacks.onFailure(new ConnErr('watch broken'))
    assert.equal(h.rec.remoteState('b'), 'ConnectionFailed')
    assert.deepEqual(h.rec.keysOf('b'), ['b/WorkloadEndpoint/default/w1'])
    assert.equal(h.mesh.status, 'in-sync', 'a remote never takes the combined status back')
    r.setStatus('in-sync')
    assert.equal(h.rec.remoteState('b'), 'InSync')
    const insync = h.logs.filter(
      (l) => l['msg'] === 'Sending in-sync update for RemoteClusterConfiguration(b)'
    )
    assert.equal(insync.length, 2)
  })

  void it('a remote syncer whose start() rejects is ConnectionFailed and retried', async () => {
    const h = await harness()
    h.f.failStart.set('http://b:2379', new Error('boom'))
    h.local.push(etcdRcc('b', 'http://b:2379'))
    h.local.setStatus('in-sync')
    await waitFor(() => h.rec.remoteState('b') === 'ConnectionFailed')
    assert.equal(h.rec.remoteError('b'), 'boom')
    assert.equal(h.mesh.status, 'in-sync')
    await syncRemote(h, 'http://b:2379', wep('w1'))
    assert.equal(h.rec.remoteState('b'), 'InSync')
  })

  void it('an unreadable kubeconfig path or TLS file is ConfigIncomplete naming the file', async () => {
    const h = await harness()
    h.local.push(
      rcc('k', { kubeconfig: '/nonexistent/kc' }),
      rcc('e', { etcdEndpoints: 'https://e:2379', etcdCACertFile: '/nonexistent/ca.pem' })
    )
    h.local.setStatus('in-sync')
    await waitFor(
      () =>
        h.rec.remoteState('k') === 'ConfigIncomplete' &&
        h.rec.remoteState('e') === 'ConfigIncomplete'
    )
    assert.match(h.rec.remoteError('k') ?? '', /cannot read kubeconfig \/nonexistent\/kc: ENOENT/)
    assert.match(
      h.rec.remoteError('e') ?? '',
      /cannot read etcdCACertFile \/nonexistent\/ca.pem: ENOENT/
    )
    assert.equal(h.mesh.status, 'in-sync')
  })
})

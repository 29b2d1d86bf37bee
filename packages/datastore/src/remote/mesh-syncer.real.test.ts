/**
 * The mesh syncer over real components: the local cluster is a test Kubernetes API server (the
 * kubernetes driver reads RCCs and Secrets from it); remotes are further test API servers and real
 * etcds (needs the `etcd` binary).
 */
import { strict as assert } from 'node:assert'
import { writeFile } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { pino } from 'pino'
import { Etcd3 } from 'etcd3'
import { freePort, startTestEtcd, tempDir, waitFor } from '@cattail/common/testing'
import type {
  IPAMBlock,
  RemoteClusterConfiguration,
  RemoteClusterConfigurationSpec,
  Resource,
  ResourceKind,
  Secret,
  WorkloadEndpoint,
} from '@cattail/model'
import { startTestApiServer, type TestApiServer } from '@cattail/testapi'
import { etcdKeyFor, etcdValueFor } from '../etcd/layout.js'
import { createSyncer } from '../factory.js'
import { KubeSyncer } from '../kubernetes/kube-syncer.js'
import { resourceIdOf, TEST_TUNING, toNative } from '../kubernetes/testing/kube-harness.js'
import type { DatastoreConfig, SyncerCallbacks, SyncerOptions } from '../syncer.js'
import { createMeshSyncer, type MeshSyncer } from './mesh-syncer.js'
import { StreamRecorder } from './testing/stream-recorder.js'
import {
  expectedKeys,
  startEtcdCluster,
  startKubeCluster,
  type TestCluster,
} from './testing/test-clusters.js'

const KINDS = new Set<ResourceKind>([
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

/** Drivers with test tuning (short kube timeouts and backoff). */
const factory = (cfg: DatastoreConfig, opts: SyncerOptions, cb: SyncerCallbacks) =>
  cfg.type === 'kubernetes'
    ? new KubeSyncer(cfg, opts, cb, TEST_TUNING)
    : createSyncer(cfg, opts, cb)

interface Mesh {
  readonly api: TestApiServer
  readonly mesh: MeshSyncer
  readonly rec: StreamRecorder
  readonly logs: Record<string, unknown>[]
  putRcc(name: string, spec: RemoteClusterConfigurationSpec): void
  putSecret(name: string, data: Record<string, string>): void
  removeRcc(name: string): void
  close(): Promise<void>
}

/** A fresh local cluster (test API server) and a started mesh syncer over it. */
async function startMesh(
  setup: (m: Pick<Mesh, 'putRcc' | 'putSecret'>) => void,
  remoteInSyncTimeoutMs = 20_000,
  remoteConnectTimeoutMs = 10_000
): Promise<Mesh> {
  const api = await startTestApiServer({ bookmarkIntervalMs: 200 })
  const rcc = (name: string, spec: RemoteClusterConfigurationSpec): RemoteClusterConfiguration => ({
    kind: 'RemoteClusterConfiguration',
    metadata: { name },
    spec,
  })
  const secret = (name: string, data: Record<string, string>): Secret => ({
    kind: 'Secret',
    metadata: { name, namespace: 'cattail-system' },
    spec: { data },
  })
  const putRcc = (name: string, spec: RemoteClusterConfigurationSpec): void => {
    api.put(resourceIdOf('RemoteClusterConfiguration'), toNative(rcc(name, spec)))
  }
  const putSecret = (name: string, data: Record<string, string>): void => {
    api.put('secrets', toNative(secret(name, data)))
  }
  setup({ putRcc, putSecret })
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
  const mesh = createMeshSyncer(
    { type: 'kubernetes', kubeconfig: { kind: 'inline', contents: api.kubeconfig() } },
    {
      kinds: KINDS,
      log: pino({ level: 'info' }, sink),
      remoteInSyncTimeoutMs,
      remoteConnectTimeoutMs,
      retryBackoff: { initialMs: 50, maxMs: 500, factor: 2, jitter: 0.2 },
      createSyncer: factory,
    },
    rec
  )
  await mesh.start()
  return {
    api,
    mesh,
    rec,
    logs,
    putRcc,
    putSecret,
    removeRcc: (name) => {
      api.remove(resourceIdOf('RemoteClusterConfiguration'), name)
    },
    close: async () => {
      await mesh.stop()
      await api.stop()
    },
  }
}

const secretRef = (name: string, overlay = false): RemoteClusterConfigurationSpec => ({
  clusterAccessSecret: { name },
  ...(overlay && { syncOptions: { overlayRoutingMode: 'Enabled' as const } }),
})
const plus = (rec: StreamRecorder, cluster: string, from: number): string[] =>
  rec.updatesOf(cluster, from).map((u) => `${u.value === undefined ? '-' : '+'}${u.key}`)
const hasLog = (m: Mesh, msg: string): boolean => m.logs.some((l) => l['msg'] === msg)

void describe('mesh syncer over real clusters (needs etcd; test API servers)', () => {
  let kb: Awaited<ReturnType<typeof startKubeCluster>>
  let kc: Awaited<ReturnType<typeof startKubeCluster>>
  let e1: Awaited<ReturnType<typeof startEtcdCluster>>
  let e2: Awaited<ReturnType<typeof startEtcdCluster>>
  const clusters: TestCluster[] = []

  before(async () => {
    ;[kb, kc, e1, e2] = await Promise.all([
      startKubeCluster(),
      startKubeCluster(),
      startEtcdCluster(),
      startEtcdCluster(),
    ])
    clusters.push(kb, kc, e1, e2)
    await Promise.all(clusters.map((c) => c.populate()))
  })
  after(async () => {
    await Promise.all(clusters.map((c) => c.stop()))
  })

  void it('three clusters at once: prefixes on every kind, overlay gating, statuses, log lines', async () => {
    const m = await startMesh(({ putRcc, putSecret }) => {
      putSecret('kb-access', kb.secretData())
      putRcc('kb', secretRef('kb-access', true))
      putRcc('e1', { datastoreType: 'etcdv3', etcdEndpoints: e1.etcd.endpoint })
      putSecret('kc-access', kc.secretData())
      putRcc('kc', secretRef('kc-access'))
    })
    try {
      await waitFor(() => m.rec.inSync, { timeoutMs: 20_000, what: 'mesh in-sync' })
      for (const n of ['kb', 'e1', 'kc']) {
        assert.equal(m.rec.remoteState(n), 'InSync', n)
        const h = m.rec.remoteHistory(n)
        assert.equal(h[0], 'Connecting')
        assert.ok(hasLog(m, `Creating syncer for RemoteClusterConfiguration(${n})`))
        assert.ok(hasLog(m, `Sending in-sync update for RemoteClusterConfiguration(${n})`))
      }
      assert.deepEqual(m.rec.keysOf('kb'), expectedKeys('kb', true))
      assert.deepEqual(m.rec.keysOf('e1'), expectedKeys('e1', false))
      assert.deepEqual(m.rec.keysOf('kc'), expectedKeys('kc', false))
      const wep = [...m.rec.state.values()].find(
        (v): v is WorkloadEndpoint => v.kind === 'WorkloadEndpoint' && v.spec.node === 'kb/n1'
      )
      assert.ok(wep !== undefined)
      assert.deepEqual(wep.spec.profiles, ['kb/kns.default'])
      assert.equal(m.rec.state.get('kb/Node/n1')?.metadata.name, 'kb/n1')
      assert.equal(m.rec.state.get('e1/Profile/kns.default')?.metadata.name, 'e1/kns.default')
      const blk = m.rec.state.get(
        expectedKeys('kb', true).find((k) => k.includes('IPAMBlock')) ?? ''
      )
      assert.equal((blk as IPAMBlock | undefined)?.spec.affinity, 'host:kb/n1')
      const keys = [...m.rec.state.keys()]
      assert.ok(!keys.some((k) => k.includes('Secret') || k.includes('RemoteClusterConfiguration')))
      assert.ok(!keys.some((k) => /^(kb|kc|e1)\/.*Policy/.test(k)), 'policies are never federated')

      // Flip overlay mode hot: exactly the overlay kinds come and go; nobody else is touched.
      let mark = m.rec.updates.length
      m.putRcc('e1', {
        datastoreType: 'etcdv3',
        etcdEndpoints: e1.etcd.endpoint,
        syncOptions: { overlayRoutingMode: 'Enabled' },
      })
      await waitFor(() => m.rec.keysOf('e1').length === expectedKeys('e1', true).length, {
        timeoutMs: 10_000,
      })
      await waitFor(() => m.rec.remoteState('e1') === 'InSync')
      assert.deepEqual(
        plus(m.rec, 'e1', mark).sort(),
        expectedKeys('e1', true)
          .filter((k) => !expectedKeys('e1', false).includes(k))
          .map((k) => `+${k}`)
      )
      mark = m.rec.updates.length
      m.putRcc('kb', secretRef('kb-access', false))
      await waitFor(() => m.rec.keysOf('kb').length === expectedKeys('kb', false).length, {
        timeoutMs: 10_000,
      })
      await waitFor(() => m.rec.remoteState('kb') === 'InSync')
      assert.deepEqual(
        plus(m.rec, 'kb', mark).sort(),
        expectedKeys('kb', true)
          .filter((k) => !expectedKeys('kb', false).includes(k))
          .map((k) => `-${k}`)
      )
      assert.deepEqual(m.rec.updatesOf('kc', mark), [])
      assert.deepEqual(m.rec.updatesOf('e1', mark), [])
    } finally {
      await m.close()
    }
  })

  void it('a Secret that appears after its RCC, a malformed kubeconfig and a malformed RCC are ConfigIncomplete (until fixed)', async () => {
    const m = await startMesh(({ putRcc, putSecret }) => {
      putRcc('late', secretRef('late-access'))
      putSecret('broken-access', { datastoreType: 'kubernetes', kubeconfig: 'clusters: [unclosed' })
      putRcc('broken', secretRef('broken-access'))
      putRcc('fine', { datastoreType: 'etcdv3', etcdEndpoints: e1.etcd.endpoint })
      putRcc('malformed', { etcdEndpoints: 42 } as unknown as RemoteClusterConfigurationSpec)
    })
    try {
      await waitFor(() => m.rec.inSync, { timeoutMs: 20_000, what: 'mesh in-sync' })
      assert.equal(m.rec.remoteState('late'), 'ConfigIncomplete')
      assert.match(m.rec.remoteError('late') ?? '', /cattail-system\/late-access not found/)
      assert.equal(m.rec.remoteState('broken'), 'ConfigIncomplete')
      assert.match(m.rec.remoteError('broken') ?? '', /kubeconfig is not valid YAML/)
      await waitFor(() => m.rec.remoteState('fine') === 'InSync', { timeoutMs: 10_000 })
      assert.equal(m.rec.remoteState('malformed'), 'ConfigIncomplete')
      assert.match(m.rec.remoteError('malformed') ?? '', /spec\.etcdEndpoints/)
      m.putSecret('late-access', kc.secretData())
      await waitFor(() => m.rec.remoteState('late') === 'InSync', { timeoutMs: 10_000 })
      const h = m.rec.remoteHistory('late')
      assert.deepEqual([h[0], h[1], h[h.length - 1]], ['ConfigIncomplete', 'Connecting', 'InSync'])
      assert.deepEqual(m.rec.keysOf('late'), expectedKeys('late', false))
      m.putSecret('broken-access', kb.secretData())
      await waitFor(() => m.rec.remoteState('broken') === 'InSync', { timeoutMs: 10_000 })
      assert.deepEqual(m.rec.keysOf('broken'), expectedKeys('broken', false))
      // The malformed RCC is deleted: its ConfigIncomplete status KV goes too.
      m.removeRcc('malformed')
      await waitFor(() => !m.rec.state.has('RemoteClusterStatus/malformed'), {
        timeoutMs: 10_000,
        what: 'the malformed RCC status deleted',
      })
      assert.equal(m.rec.remoteState('fine'), 'InSync')
    } finally {
      await m.close()
    }
  })

  void it('RCC connection fields without a Secret: a kubeconfig path, and k8sAPIEndpoint with token and CA file', async () => {
    const dir = await tempDir('cattail-rcc-')
    try {
      const kubeconfigPath = await kc.api.writeKubeconfig(dir.path)
      const caPath = join(dir.path, 'kb-ca.pem')
      await writeFile(caPath, kb.api.caCert ?? '')
      const m = await startMesh(({ putRcc }) => {
        putRcc('bypath', { datastoreType: 'kubernetes', kubeconfig: kubeconfigPath })
        putRcc('byendpoint', {
          k8sAPIEndpoint: kb.api.url,
          k8sAPIToken: kb.api.token,
          k8sCAFile: caPath,
          syncOptions: { overlayRoutingMode: 'Enabled' },
        })
      })
      try {
        await waitFor(() => m.rec.inSync, { timeoutMs: 20_000, what: 'mesh in-sync' })
        await waitFor(
          () =>
            m.rec.remoteState('bypath') === 'InSync' &&
            m.rec.remoteState('byendpoint') === 'InSync',
          { timeoutMs: 10_000 }
        )
        assert.deepEqual(m.rec.keysOf('bypath'), expectedKeys('bypath', false))
        assert.deepEqual(m.rec.keysOf('byendpoint'), expectedKeys('byendpoint', true))
      } finally {
        await m.close()
      }
    } finally {
      await dir.remove()
    }
  })

  void it('in-sync is not held back longer than the bound by a remote that never answers', async () => {
    const sockets: Socket[] = []
    const hole: Server = createServer((s) => sockets.push(s))
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve))
    const port = (hole.address() as { port: number }).port
    const deadKubeconfig = kb.api.kubeconfig().replace(kb.api.url, `https://127.0.0.1:${port}`)
    const m = await startMesh(
      ({ putRcc, putSecret }) => {
        putSecret('hole-access', { kubeconfig: deadKubeconfig })
        putRcc('hole', secretRef('hole-access'))
        putRcc('fine', { etcdEndpoints: e1.etcd.endpoint })
      },
      500,
      1000
    )
    try {
      await waitFor(() => m.rec.inSync, { timeoutMs: 10_000, what: 'mesh in-sync' })
      assert.notEqual(m.rec.remoteState('hole'), 'InSync')
      await waitFor(() => m.rec.remoteState('fine') === 'InSync', { timeoutMs: 10_000 })
      // No answer at all: reported ConnectionFailed after the connect timeout (1 s here).
      await waitFor(() => m.rec.remoteState('hole') === 'ConnectionFailed', { timeoutMs: 10_000 })
      assert.match(m.rec.remoteError('hole') ?? '', /no answer|failed/)
    } finally {
      await m.close()
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => hole.close(() => resolve()))
    }
  })

  void it('a hot Secret change to another cluster swaps the keys and leaves the other remote alone', async () => {
    // e2 differs from e1: p2 gone, p3 added.
    await e2.removeEndpoint('p2', 'n2')
    const p3 = await e2.putEndpoint('p3', 'n2', '198.19.1.3')
    const m = await startMesh(({ putRcc, putSecret }) => {
      putSecret('sw-access', e1.secretData())
      putRcc('sw', secretRef('sw-access'))
      putSecret('kc-access', kc.secretData())
      putRcc('kc', secretRef('kc-access'))
    })
    try {
      await waitFor(() => m.rec.inSync, { timeoutMs: 20_000, what: 'mesh in-sync' })
      await waitFor(() => m.rec.remoteState('kc') === 'InSync', { timeoutMs: 10_000 })
      const mark = m.rec.updates.length
      m.putSecret('sw-access', e2.secretData())
      await waitFor(() => m.rec.state.has(`sw/WorkloadEndpoint/default/${p3}`), {
        timeoutMs: 10_000,
      })
      await waitFor(() => m.rec.remoteState('sw') === 'InSync' && m.rec.keysOf('sw').length === 4)
      const p2 = expectedKeys('sw', false).find((k) => k.includes('p2')) ?? ''
      assert.deepEqual(plus(m.rec, 'sw', mark), [`+sw/WorkloadEndpoint/default/${p3}`, `-${p2}`])
      assert.deepEqual(m.rec.updatesOf('kc', mark), [], 'no updates for the other remote')
      assert.equal(m.rec.remoteState('kc'), 'InSync')

      // And a kubeconfig swap between two Kubernetes clusters.
      const mark2 = m.rec.updates.length
      const onlyKb = await kb.putEndpoint('only-kb', 'n1', '198.19.1.9')
      m.putSecret('kc-access', kb.secretData())
      await waitFor(() => m.rec.keysOf('kc').some((k) => k.endsWith(onlyKb)), {
        timeoutMs: 10_000,
      })
      await waitFor(() => m.rec.remoteState('kc') === 'InSync')
      assert.deepEqual(
        m.rec.keysOf('kc'),
        [...expectedKeys('kc', false), `kc/WorkloadEndpoint/default/${onlyKb}`].sort()
      )
      assert.deepEqual(m.rec.updatesOf('sw', mark2), [])
    } finally {
      await m.close()
      await kb.removeEndpoint('only-kb', 'n1')
      await e2.putEndpoint('p2', 'n2', '198.19.1.2')
      await e2.removeEndpoint('p3', 'n2')
    }
  })

  void it('deleting an RCC removes all of its keys, the status key last', async () => {
    const m = await startMesh(({ putRcc, putSecret }) => {
      putSecret('d-access', kc.secretData())
      putRcc('d', secretRef('d-access', true))
      putRcc('stay', { etcdEndpoints: e1.etcd.endpoint })
    })
    try {
      await waitFor(() => m.rec.inSync && m.rec.remoteState('stay') === 'InSync', {
        timeoutMs: 20_000,
      })
      assert.deepEqual(m.rec.keysOf('d'), expectedKeys('d', true))
      const mark = m.rec.updates.length
      m.removeRcc('d')
      await waitFor(() => !m.rec.state.has('RemoteClusterStatus/d'), { timeoutMs: 10_000 })
      assert.deepEqual(m.rec.keysOf('d'), [])
      const mine = m.rec.updates
        .slice(mark)
        .filter((u) => u.key.startsWith('d/') || u.key === 'RemoteClusterStatus/d')
      assert.equal(mine.length, expectedKeys('d', true).length + 1)
      assert.ok(mine.every((u) => u.value === undefined))
      assert.equal(mine[mine.length - 1]?.key, 'RemoteClusterStatus/d')
      assert.deepEqual(m.rec.updatesOf('stay', mark), [])
      assert.equal(m.mesh.remoteStatuses().has('d'), false)
    } finally {
      await m.close()
    }
  })

  void it('a remote that restarts mid-stream resynchronises with only the differences (etcd kill/restart, API server stop/restart)', async () => {
    const [e3, k3] = await Promise.all([startEtcdCluster(), startKubeCluster()])
    await Promise.all([e3.populate(), k3.populate()])
    const m = await startMesh(({ putRcc, putSecret }) => {
      putRcc('e3', {
        etcdEndpoints: e3.etcd.endpoint,
        syncOptions: { overlayRoutingMode: 'Enabled' },
      })
      putSecret('k3-access', k3.secretData())
      putRcc('k3', secretRef('k3-access', true))
    })
    try {
      await waitFor(() => m.rec.inSync, { timeoutMs: 20_000, what: 'mesh in-sync' })
      await waitFor(
        () => m.rec.remoteState('e3') === 'InSync' && m.rec.remoteState('k3') === 'InSync'
      )
      let mark = m.rec.updates.length
      await e3.kill()
      await waitFor(() => m.rec.remoteState('e3') === 'ConnectionFailed', {
        timeoutMs: 15_000,
        what: 'ConnectionFailed after etcd died',
      })
      assert.deepEqual(m.rec.keysOf('e3'), expectedKeys('e3', true), 'fail-static')
      await e3.restart()
      await waitFor(() => m.rec.remoteState('e3') === 'InSync', { timeoutMs: 15_000 })
      const p9 = await e3.putEndpoint('p9', 'n1', '198.19.1.9')
      await waitFor(() => m.rec.state.has(`e3/WorkloadEndpoint/default/${p9}`), {
        timeoutMs: 10_000,
      })
      assert.deepEqual(plus(m.rec, 'e3', mark), [`+e3/WorkloadEndpoint/default/${p9}`])

      mark = m.rec.updates.length
      await k3.kill()
      await waitFor(() => m.rec.remoteState('k3') === 'ConnectionFailed', {
        timeoutMs: 15_000,
        what: 'ConnectionFailed after the API server stopped',
      })
      await k3.removeEndpoint('p2', 'n2')
      const p8 = await k3.putEndpoint('p8', 'n2', '198.19.1.8')
      await k3.restart()
      await waitFor(() => m.rec.state.has(`k3/WorkloadEndpoint/default/${p8}`), {
        timeoutMs: 15_000,
      })
      await waitFor(() => m.rec.remoteState('k3') === 'InSync', { timeoutMs: 15_000 })
      const p2 = expectedKeys('k3', true).find((k) => k.includes('p2')) ?? ''
      assert.deepEqual(
        plus(m.rec, 'k3', mark).sort(),
        [`+k3/WorkloadEndpoint/default/${p8}`, `-${p2}`].sort()
      )
      assert.deepEqual(m.rec.updatesOf('e3', mark), [])
    } finally {
      await m.close()
      await Promise.all([e3.stop(), k3.stop()])
    }
  })

  void it('the local datastore can be etcd: RCCs and Secrets are read from it, never forwarded', async () => {
    const localEtcd = await startTestEtcd()
    const client = new Etcd3({ hosts: localEtcd.endpoint })
    const put = async (r: Resource): Promise<void> => {
      await client.put(etcdKeyFor(r)).value(etcdValueFor(r))
    }
    const secret = (data: Record<string, string>): Secret => ({
      kind: 'Secret',
      metadata: { name: 'ek-access', namespace: 'cattail-system' },
      spec: { data },
    })
    await put(secret(kb.secretData()))
    await put({
      kind: 'RemoteClusterConfiguration',
      metadata: { name: 'ek' },
      spec: secretRef('ek-access', true),
    })
    const rec = new StreamRecorder()
    const mesh = createMeshSyncer(
      { type: 'etcdv3', endpoints: [localEtcd.endpoint] },
      { kinds: KINDS, log: pino({ level: 'silent' }), createSyncer: factory },
      rec
    )
    try {
      await mesh.start()
      await waitFor(() => rec.inSync, { timeoutMs: 20_000, what: 'mesh in-sync' })
      assert.equal(rec.remoteState('ek'), 'InSync')
      assert.deepEqual(rec.keysOf('ek'), expectedKeys('ek', true))
      const mark = rec.updates.length
      const seen = rec.remoteHistory('ek').length
      await put(secret(kc.secretData()))
      await waitFor(
        () => rec.remoteHistory('ek').length > seen && rec.remoteState('ek') === 'InSync',
        { timeoutMs: 10_000, what: 'reconnected to the other cluster' }
      )
      assert.deepEqual(rec.keysOf('ek'), expectedKeys('ek', true))
      assert.ok(rec.updates.slice(mark).every((u) => !u.key.includes('Secret')))
      assert.ok(
        ![...rec.state.keys()].some(
          (k) => k.includes('Secret') || k.startsWith('RemoteClusterConfiguration')
        )
      )
    } finally {
      await mesh.stop()
      client.close()
      await localEtcd.stop()
    }
  })

  void it('ten remotes, one unreachable: nine reach InSync on their own, the dead one is ConnectionFailed', async () => {
    const deadPort = await freePort()
    const targets: TestCluster[] = [kb, kc, e1, e2]
    const m = await startMesh(({ putRcc, putSecret }) => {
      for (let i = 0; i < 9; i++) {
        const t = targets[i % targets.length] as TestCluster
        putSecret(`r${i}-access`, t.secretData())
        putRcc(`r${i}`, secretRef(`r${i}-access`))
      }
      putRcc('r9', { etcdEndpoints: `http://127.0.0.1:${deadPort}` })
    }, 1000)
    try {
      await waitFor(() => m.rec.inSync, { timeoutMs: 20_000, what: 'mesh in-sync' })
      await waitFor(
        () => [0, 1, 2, 3, 4, 5, 6, 7, 8].every((i) => m.rec.remoteState(`r${i}`) === 'InSync'),
        { timeoutMs: 20_000, what: 'nine remotes InSync' }
      )
      await waitFor(() => m.rec.remoteState('r9') === 'ConnectionFailed', {
        timeoutMs: 15_000,
        what: 'the dead remote ConnectionFailed',
      })
      for (let i = 0; i < 9; i++)
        assert.deepEqual(m.rec.keysOf(`r${i}`), expectedKeys(`r${i}`, false))
      assert.deepEqual(m.rec.keysOf('r9'), [])
      assert.equal(m.mesh.remoteStatuses().size, 10)
      // Pointing the dead one at a live cluster recovers it without touching the others.
      const mark = m.rec.updates.length
      m.putRcc('r9', { etcdEndpoints: e1.etcd.endpoint })
      await waitFor(() => m.rec.remoteState('r9') === 'InSync', { timeoutMs: 10_000 })
      assert.deepEqual(m.rec.keysOf('r9'), expectedKeys('r9', false))
      const others = m.rec.updates.slice(mark).filter((u) => !u.key.includes('r9'))
      assert.deepEqual(others, [])
    } finally {
      await m.close()
    }
  })
})

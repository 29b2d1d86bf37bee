import { strict as assert } from 'node:assert'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createSilentLogger, isMeshError } from '@cattail/common'
import { tempDir, waitFor } from '@cattail/common/testing'
import type { ResourceKind } from '@cattail/model'
import { SyncerRecorder } from '../testing/recorder.js'
import { KubeconfigError } from './errors.js'
import { KubeSyncer } from './kube-syncer.js'
import { type KubeHarness, TEST_TUNING, makeKubeHarness } from './testing/kube-harness.js'

const log = createSilentLogger()
const kinds = (...k: ResourceKind[]): ReadonlySet<ResourceKind> => new Set(k)

/** Starts a syncer for `k` against `h` and waits for in-sync. */
async function startSynced(
  h: KubeHarness,
  k: ReadonlySet<ResourceKind>
): Promise<{ rec: SyncerRecorder; syncer: KubeSyncer }> {
  const rec = new SyncerRecorder()
  const syncer = h.createSyncer({ kinds: k, log }, rec) as KubeSyncer
  await syncer.start()
  await waitFor(() => rec.status === 'in-sync', { timeoutMs: 10_000, what: 'in-sync' })
  return { rec, syncer }
}

const pool = (name: string, cidr: string): object => ({
  metadata: { name },
  spec: { cidr, vxlanMode: 'Always', ipipMode: 'Never', natOutgoing: true, blockSize: 26 },
})

void describe('kubernetes driver', () => {
  void it('rejects a bad kubeconfig from start() with a KubeconfigError and does not crash', async () => {
    const dir = await tempDir('cattail-kc-')
    try {
      const missingCa = join(dir.path, 'kc-missing-ca')
      await writeFile(
        missingCa,
        'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1", certificate-authority: /nonexistent/ca.crt}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n'
      )
      const cases = [
        { kind: 'inline', contents: '' },
        { kind: 'inline', contents: '{{{ not yaml' },
        { kind: 'inline', contents: 'apiVersion: v1\nkind: Config\nclusters: []\n' },
        {
          kind: 'inline',
          contents:
            'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
        },
        { kind: 'path', path: join(dir.path, 'does-not-exist') },
        { kind: 'path', path: missingCa },
        // in-cluster without the service environment (skipped when running inside a pod)
        ...(process.env['KUBERNETES_SERVICE_HOST'] === undefined
          ? [{ kind: 'in-cluster' } as const]
          : []),
      ] as const
      for (const kubeconfig of cases) {
        const rec = new SyncerRecorder()
        const s = new KubeSyncer(
          { type: 'kubernetes', kubeconfig },
          { kinds: kinds('IPPool'), log },
          rec
        )
        await assert.rejects(s.start(), (err: unknown) => {
          assert.ok(err instanceof KubeconfigError, String(err))
          assert.ok(isMeshError(err, 'ERR_CONFIG'))
          assert.match(err.message, /kubeconfig: /)
          return true
        })
        await s.stop()
      }
    } finally {
      await dir.remove()
    }
  })

  void it('applies overrides: a wrong token override fails with 401, then a fresh syncer with the right one syncs', async () => {
    const h = await makeKubeHarness()
    try {
      h.api.put('ippools.crd.projectcalico.org', pool('p1', '198.19.0.0/20') as never)
      const rec = new SyncerRecorder()
      const bad = new KubeSyncer(
        {
          type: 'kubernetes',
          kubeconfig: { kind: 'inline', contents: h.api.kubeconfig() },
          overrides: { token: 'wrong' },
        },
        { kinds: kinds('IPPool'), log },
        rec,
        TEST_TUNING
      )
      await bad.start()
      await waitFor(() => rec.failures.length > 0, { what: 'a failure' })
      await bad.stop()
      assert.equal(rec.failures[0]?.code, 'ERR_DATASTORE_CONNECTION')
      assert.match(rec.failures[0]?.message ?? '', /401/)
      assert.equal(rec.status, undefined, 'never left wait-for-ready')

      const rec2 = new SyncerRecorder()
      const good = new KubeSyncer(
        {
          type: 'kubernetes',
          kubeconfig: { kind: 'inline', contents: h.api.kubeconfig({ token: 'wrong' }) },
          overrides: { token: h.api.token, server: h.api.url },
        },
        { kinds: kinds('IPPool'), log },
        rec2,
        TEST_TUNING
      )
      await good.start()
      await waitFor(() => rec2.status === 'in-sync')
      assert.ok(rec2.state.has('IPPool/p1'))
      await good.stop()
    } finally {
      await h.close()
    }
  })

  void it('turns pods into workload endpoints and namespaces into profiles, and deletes endpoints a pod no longer yields', async () => {
    const h = await makeKubeHarness()
    try {
      h.api.put('namespaces', { metadata: { name: 'ns1', labels: { team: 'a' } } })
      const podObj = (ip: string | undefined) => ({
        metadata: { name: 'web-1', namespace: 'ns1', labels: { app: 'web' } },
        spec: { nodeName: 'node1', containers: [{ name: 'c', image: 'nginx' }] },
        status:
          ip === undefined
            ? { phase: 'Pending' }
            : { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
      })
      h.api.put('pods', podObj('198.19.0.5'))
      const { rec, syncer } = await startSynced(h, kinds('WorkloadEndpoint', 'Profile'))
      try {
        const weps = [...rec.state.keys()].filter((k) => k.startsWith('WorkloadEndpoint/ns1/'))
        assert.equal(weps.length, 1, rec.describe())
        assert.ok(rec.state.has('Profile/kns.ns1'), rec.describe())
        h.api.put('pods', podObj(undefined)) // no IP any more → no endpoint
        await waitFor(() => ![...rec.state.keys()].some((k) => k.startsWith('WorkloadEndpoint/')))
        h.api.remove('namespaces', 'ns1')
        await waitFor(() => !rec.state.has('Profile/kns.ns1'))
        assert.deepEqual(rec.failures, [])
      } finally {
        await syncer.stop()
      }
    } finally {
      await h.close()
    }
  })

  void it('reads Kubernetes network policies as knp.default.* beside Calico ones', async () => {
    const h = await makeKubeHarness()
    try {
      h.api.put('networkpolicies.networking.k8s.io', {
        metadata: { name: 'deny-all', namespace: 'ns1' },
        spec: { podSelector: {}, policyTypes: ['Ingress'] },
      })
      h.api.put('networkpolicies.crd.projectcalico.org', {
        metadata: { name: 'allow-web', namespace: 'ns1' },
        spec: { tier: 'default', order: 10, selector: "app == 'web'", types: ['Ingress'] },
      })
      const { rec, syncer } = await startSynced(h, kinds('NetworkPolicy'))
      try {
        assert.deepEqual(
          [...rec.state.keys()].sort(),
          ['NetworkPolicy/ns1/allow-web', 'NetworkPolicy/ns1/knp.default.deny-all'],
          rec.describe()
        )
        h.api.remove('networkpolicies.networking.k8s.io', 'deny-all', 'ns1')
        await waitFor(() => !rec.state.has('NetworkPolicy/ns1/knp.default.deny-all'))
        assert.ok(rec.state.has('NetworkPolicy/ns1/allow-web'))
      } finally {
        await syncer.stop()
      }
    } finally {
      await h.close()
    }
  })

  void it('lists in pages of pageSize', async () => {
    const h = await makeKubeHarness({ ...TEST_TUNING, pageSize: 2 })
    try {
      for (let i = 0; i < 5; i++)
        h.api.put('ippools.crd.projectcalico.org', pool(`p${i}`, `198.19.${i * 16}.0/20`) as never)
      const { rec, syncer } = await startSynced(h, kinds('IPPool'))
      try {
        assert.equal(rec.state.size, 5)
        assert.equal(h.api.counts().list, 3)
      } finally {
        await syncer.stop()
      }
    } finally {
      await h.close()
    }
  })

  void it('relists on an HTTP 410 and emits only the differences', async () => {
    const h = await makeKubeHarness(TEST_TUNING, { bookmarkIntervalMs: 200, expiredAs: 'http' })
    try {
      h.api.put('ippools.crd.projectcalico.org', pool('a', '198.19.0.0/20') as never)
      h.api.put('ippools.crd.projectcalico.org', pool('b', '198.19.16.0/20') as never)
      const { rec, syncer } = await startSynced(h, kinds('IPPool'))
      try {
        await h.compact(() => {
          h.api.remove('ippools.crd.projectcalico.org', 'b')
          return Promise.resolve()
        })
        await waitFor(() => !rec.state.has('IPPool/b'))
        assert.equal(rec.countFor('IPPool/a'), 1)
        assert.equal(syncer.listCount, 2)
        await waitFor(() => rec.status === 'in-sync')
      } finally {
        await syncer.stop()
      }
    } finally {
      await h.close()
    }
  })

  void it('re-watches from its resourceVersion without relisting when the server ends watches or they go quiet', async () => {
    // No bookmarks (interval far beyond the test) and a short inactivity timeout.
    const h = await makeKubeHarness(
      { ...TEST_TUNING, inactivityTimeoutMs: 300 },
      { bookmarkIntervalMs: 3_600_000 }
    )
    try {
      h.api.put('ippools.crd.projectcalico.org', pool('a', '198.19.0.0/20') as never)
      const { rec, syncer } = await startSynced(h, kinds('IPPool'))
      try {
        const watches = h.api.counts().watch
        await waitFor(() => h.api.counts().watch >= watches + 2, {
          what: 'inactive watches restarted',
        })
        h.api.dropWatches()
        h.api.put('ippools.crd.projectcalico.org', pool('b', '198.19.16.0/20') as never)
        await waitFor(() => rec.state.has('IPPool/b'))
        assert.equal(h.api.counts().list, 1, 'never relisted')
        const watchUrls = h.api.requestLog().filter((l) => l.includes('watch=true'))
        for (const u of watchUrls) {
          const q = new URL(u.split(' ')[1] ?? '', 'http://x').searchParams
          assert.equal(q.get('allowWatchBookmarks'), 'true', u)
          assert.ok(q.get('resourceVersion'), u)
          const t = Number(q.get('timeoutSeconds'))
          assert.ok(t >= TEST_TUNING.watchTimeoutMinS && t <= TEST_TUNING.watchTimeoutMaxS, u)
        }
        assert.deepEqual(rec.failures, [])
        assert.deepEqual(rec.statuses, ['resync-in-progress', 'in-sync'])
      } finally {
        await syncer.stop()
      }
    } finally {
      await h.close()
    }
  })

  void it('reports an unreachable server as failures while waiting for ready, then syncs when it appears', async () => {
    const h = await makeKubeHarness()
    try {
      h.api.put('ippools.crd.projectcalico.org', pool('a', '198.19.0.0/20') as never)
      await h.api.stop()
      const rec = new SyncerRecorder()
      const s = h.createSyncer({ kinds: kinds('IPPool'), log }, rec)
      await s.start()
      try {
        await waitFor(() => rec.failures.length >= 2, { what: 'repeated failures' })
        assert.equal(s.status, 'wait-for-ready')
        await h.api.restart()
        await waitFor(() => rec.status === 'in-sync', { timeoutMs: 10_000 })
        assert.ok(rec.state.has('IPPool/a'))
      } finally {
        await s.stop()
      }
    } finally {
      await h.close()
    }
  })
})

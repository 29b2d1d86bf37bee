/**
 * A remote's kubeconfig (RCC Secret or inline field) is untrusted: an exec plugin in it must not
 * run in the cache, and a path field must not be read. Local cluster and remote are test
 * Kubernetes API servers; the exec plugin would create a marker file.
 */
import { strict as assert } from 'node:assert'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pino } from 'pino'
import { parse, stringify } from 'yaml'
import { tempDir, waitFor } from '@cattail/common/testing'
import type { RemoteClusterConfiguration, ResourceKind, Secret } from '@cattail/model'
import { startTestApiServer } from '@cattail/testapi'
import { createSyncer } from '../factory.js'
import { KubeSyncer } from '../kubernetes/kube-syncer.js'
import { resourceIdOf, TEST_TUNING, toNative } from '../kubernetes/testing/kube-harness.js'
import type { DatastoreConfig, SyncerCallbacks, SyncerOptions } from '../syncer.js'
import { createMeshSyncer } from './mesh-syncer.js'
import { StreamRecorder } from './testing/stream-recorder.js'
import { expectedKeys, startKubeCluster } from './testing/test-clusters.js'

const KINDS = new Set<ResourceKind>([
  'WorkloadEndpoint',
  'HostEndpoint',
  'Profile',
  'Node',
  'IPPool',
  'IPAMBlock',
  'RemoteClusterStatus',
])

const factory = (cfg: DatastoreConfig, opts: SyncerOptions, cb: SyncerCallbacks) =>
  cfg.type === 'kubernetes'
    ? new KubeSyncer(cfg, opts, cb, TEST_TUNING)
    : createSyncer(cfg, opts, cb)

/** `kubeconfig` with an exec plugin on every user that prints `token` and touches `marker`. */
function withExec(kubeconfig: string, marker: string, token: string): string {
  const doc = parse(kubeconfig) as { users: { user: Record<string, unknown> }[] }
  const cred = JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token },
  })
  for (const u of doc.users) {
    delete u.user['token']
    u.user['exec'] = {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: '/bin/sh',
      args: ['-c', `touch '${marker}' && echo '${cred}'`],
      interactiveMode: 'Never',
    }
  }
  return stringify(doc)
}

/** `kubeconfig` whose users read their token from the local file `path`. */
function withTokenFile(kubeconfig: string, path: string): string {
  const doc = parse(kubeconfig) as { users: { user: Record<string, unknown> }[] }
  for (const u of doc.users) {
    delete u.user['token']
    u.user['token-file'] = path
  }
  return stringify(doc)
}

void describe('remote kubeconfigs cannot run commands or read files (test API servers)', () => {
  let remote: Awaited<ReturnType<typeof startKubeCluster>>
  before(async () => {
    remote = await startKubeCluster()
    await remote.populate()
  })
  after(async () => {
    await remote.stop()
  })

  async function run(
    allowExec: boolean,
    check: (rec: StreamRecorder, marker: string) => Promise<void>
  ) {
    const dir = await tempDir('cattail-rcc-exec-')
    const local = await startTestApiServer({ bookmarkIntervalMs: 200 })
    const marker = join(dir.path, 'exec-ran')
    const rcc = (name: string, spec: RemoteClusterConfiguration['spec']) =>
      toNative({ kind: 'RemoteClusterConfiguration', metadata: { name }, spec })
    const secret = (name: string, data: Record<string, string>): Secret => ({
      kind: 'Secret',
      metadata: { name, namespace: 'cattail-system' },
      spec: { data },
    })
    const evil = withExec(remote.api.kubeconfig(), marker, remote.api.token)
    local.put(
      'secrets',
      toNative(secret('evil-access', { datastoreType: 'kubernetes', kubeconfig: evil }))
    )
    local.put(
      resourceIdOf('RemoteClusterConfiguration'),
      rcc('evil', { clusterAccessSecret: { name: 'evil-access' } })
    )
    local.put(resourceIdOf('RemoteClusterConfiguration'), rcc('inline', { kubeconfigInline: evil }))
    // a local file holding a valid token: if the cache read it, this remote would connect
    const tokenPath = join(dir.path, 'token')
    await writeFile(tokenPath, remote.api.token)
    const fileKc = withTokenFile(remote.api.kubeconfig(), tokenPath)
    local.put(
      'secrets',
      toNative(secret('file-access', { datastoreType: 'kubernetes', kubeconfig: fileKc }))
    )
    local.put(
      resourceIdOf('RemoteClusterConfiguration'),
      rcc('tokenfile', { clusterAccessSecret: { name: 'file-access' } })
    )
    local.put('secrets', toNative(secret('good-access', remote.secretData())))
    local.put(
      resourceIdOf('RemoteClusterConfiguration'),
      rcc('good', { clusterAccessSecret: { name: 'good-access' } })
    )
    const rec = new StreamRecorder()
    const mesh = createMeshSyncer(
      { type: 'kubernetes', kubeconfig: { kind: 'inline', contents: local.kubeconfig() } },
      {
        kinds: KINDS,
        log: pino({ level: 'silent' }),
        remoteInSyncTimeoutMs: 20_000,
        retryBackoff: { initialMs: 50, maxMs: 500, factor: 2, jitter: 0.2 },
        createSyncer: factory,
        allowRemoteKubeconfigExec: allowExec,
      },
      rec
    )
    try {
      await mesh.start()
      await waitFor(() => rec.inSync, { timeoutMs: 20_000, what: 'mesh in-sync' })
      await waitFor(() => rec.remoteState('good') === 'InSync', { timeoutMs: 10_000 })
      assert.deepEqual(rec.keysOf('good'), expectedKeys('good', false))
      await check(rec, marker)
    } finally {
      await mesh.stop()
      await local.stop()
      await dir.remove()
    }
  }

  void it('an exec plugin in an RCC Secret or inline field, a token-file in a Secret: ConfigIncomplete naming the field, no command runs, no file is read, a good remote beside it is unaffected', async () => {
    await run(false, async (rec, marker) => {
      for (const name of ['evil', 'inline']) {
        await waitFor(() => rec.remoteState(name) === 'ConfigIncomplete', { timeoutMs: 10_000 })
        assert.match(rec.remoteError(name) ?? '', /users\[".*"\]\.user\.exec is not allowed/, name)
        assert.deepEqual(rec.keysOf(name), [], name)
      }
      assert.equal(existsSync(marker), false, 'the exec plugin ran')
      await waitFor(() => rec.remoteState('tokenfile') === 'ConfigIncomplete', {
        timeoutMs: 10_000,
      })
      assert.match(rec.remoteError('tokenfile') ?? '', /user\.token-file is not allowed/)
      assert.deepEqual(rec.keysOf('tokenfile'), [])
    })
  })

  void it('--allow-remote-kubeconfig-exec admits the exec plugin', async () => {
    await run(true, async (rec, marker) => {
      await waitFor(() => rec.remoteState('evil') === 'InSync', { timeoutMs: 10_000 })
      assert.deepEqual(rec.keysOf('evil'), expectedKeys('evil', false))
      assert.equal(existsSync(marker), true, 'the admitted exec plugin supplied the token')
      assert.equal(rec.remoteState('tokenfile'), 'ConfigIncomplete', 'paths stay rejected')
    })
  })
})

/**
 * scripts/remote-access.sh end to end: two test API servers (the remote enforcing RBAC), real
 * kubectl, then the cache's mesh syncer over the local cluster reaches InSync for that remote.
 */
import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { type TempDir, tempDir, waitFor } from '@cattail/common/testing'
import { CACHE_KINDS } from '@cattail/cache'
import { type TestApiServer, startTestApiServer } from '@cattail/testapi'
import { startMesh } from './testing/mesh.js'

const SCRIPT = fileURLToPath(new URL('../../../scripts/remote-access.sh', import.meta.url))

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const run = (args: readonly string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile('bash', [SCRIPT, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, stdout, stderr })
    })
  })

void describe('scripts/remote-access.sh (real kubectl, two test API servers)', () => {
  let local: TestApiServer
  let remote: TestApiServer
  let dir: TempDir
  let localKc: string
  let remoteKc: string

  before(async () => {
    local = await startTestApiServer({ bookmarkIntervalMs: 200 })
    remote = await startTestApiServer({ bookmarkIntervalMs: 200, enforceRbac: true })
    dir = await tempDir('cattail-remote-access-')
    localKc = join(dir.path, 'local.kubeconfig')
    remoteKc = join(dir.path, 'remote.kubeconfig')
    await writeFile(localKc, local.kubeconfig(), { mode: 0o600 })
    await writeFile(remoteKc, remote.kubeconfig(), { mode: 0o600 })
    remote.put('namespaces', { metadata: { name: 'apps' } })
    local.put('namespaces', { metadata: { name: 'apps' } })
  })
  after(async () => {
    await local.stop()
    await remote.stop()
    await dir.remove()
  })

  const secretKubeconfig = (name: string): string => {
    const s = local.get('secrets', name, 'cattail-system')
    const data = (s?.['data'] ?? {}) as Record<string, string>
    assert.equal(Buffer.from(data['datastoreType'] ?? '', 'base64').toString(), 'kubernetes')
    return Buffer.from(data['kubeconfig'] ?? '', 'base64').toString()
  }

  void it('sets up cluster-b with a long-lived token; the cache reaches InSync for it; re-running is safe', async () => {
    const args = [
      '--name',
      'cluster-b',
      '--local-kubeconfig',
      localKc,
      '--remote-kubeconfig',
      remoteKc,
      '--overlay',
    ]
    const r = await run(args)
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.ok(remote.get('serviceaccounts', 'cattail-remote-reader', 'cattail-system'))
    assert.ok(remote.get('clusterroles.rbac.authorization.k8s.io', 'cattail-remote-cluster'))
    const rcc = local.get('remoteclusterconfigurations.crd.projectcalico.org', 'cluster-b')
    assert.deepEqual(rcc?.['spec'], {
      clusterAccessSecret: { kind: 'Secret', name: 'cluster-b', namespace: 'cattail-system' },
      syncOptions: { overlayRoutingMode: 'Enabled' },
    })
    const kc = secretKubeconfig('cluster-b')
    assert.match(kc, new RegExp(`server: ${remote.url}`))
    assert.doesNotMatch(kc, new RegExp(remote.token), 'the admin token never leaves the remote')

    const mesh = await startMesh(local.kubeconfig(), CACHE_KINDS, 'cluster-b', 'kns.apps')
    try {
      await waitFor(() => mesh.works(), { timeoutMs: 20_000, what: 'cluster-b InSync' })
    } finally {
      await mesh.stop()
    }
    assert.deepEqual(remote.denials(), [], 'the reader was granted all it needed')
    const again = await run(args)
    assert.equal(again.code, 0, again.stderr)
  })

  void it('sets up cluster-c with an expiring TokenRequest token (--token-duration)', async () => {
    const r = await run([
      '--name',
      'cluster-c',
      '--local-kubeconfig',
      localKc,
      '--remote-kubeconfig',
      remoteKc,
      '--token-duration',
      '2h',
    ])
    assert.equal(r.code, 0, r.stderr)
    const rcc = local.get('remoteclusterconfigurations.crd.projectcalico.org', 'cluster-c')
    assert.deepEqual(rcc?.['spec'], {
      clusterAccessSecret: { kind: 'Secret', name: 'cluster-c', namespace: 'cattail-system' },
      syncOptions: { overlayRoutingMode: 'Disabled' },
    })
    const mesh = await startMesh(local.kubeconfig(), CACHE_KINDS, 'cluster-c', 'kns.apps')
    try {
      await waitFor(() => mesh.works(), { timeoutMs: 20_000, what: 'cluster-c InSync' })
    } finally {
      await mesh.stop()
    }
  })

  void it('refuses bad arguments with exit code 2 and a reason', async () => {
    const noName = await run(['--local-kubeconfig', localKc, '--remote-kubeconfig', remoteKc])
    assert.equal(noName.code, 2)
    assert.match(noName.stderr, /--name is required/)
    const badName = await run(['--name', 'Bad_Name', '--local-kubeconfig', localKc])
    assert.equal(badName.code, 2)
    assert.match(badName.stderr, /not a DNS label/)
  })
})

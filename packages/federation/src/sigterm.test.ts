import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { tempDir, waitFor } from '@cattail/common/testing'
import { TEST_SECRETS_NAMESPACE, service, startTestMesh } from './testing/index.js'

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const MAIN =
  "import { federationCommand } from '@cattail/federation'; await federationCommand().parseAsync(process.argv.slice(1), { from: 'user' })"

void describe('cattail federation process', () => {
  void it('writes as leader, and on SIGTERM releases the lease and exits 0', async (t) => {
    const mesh = await startTestMesh(['solo'], ['shop'])
    t.after(() => mesh.stop())
    const api = mesh.api('solo')
    api.put('services', service('shop', 'web', { federate: 'app == "web"' }))
    const dir = await tempDir('cattail-fed-proc-')
    t.after(() => dir.remove())
    const kubeconfig = await api.writeKubeconfig(dir.path)
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        MAIN,
        '--',
        '--kubeconfig',
        kubeconfig,
        '--lease-namespace',
        TEST_SECRETS_NAMESPACE,
        '--lease-identity',
        'proc-1',
        '--secrets-namespace',
        TEST_SECRETS_NAMESPACE,
        '--health-enabled',
        'false',
        '--metrics-enabled',
        'false',
        '--startup-remote-wait-ms',
        '1000',
        '--log-level',
        'warn',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] }
    )
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code))
    )
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL')
    })
    const holder = (): string | undefined =>
      (
        api.get('leases.coordination.k8s.io', 'cattail-federation', TEST_SECRETS_NAMESPACE)?.[
          'spec'
        ] as { holderIdentity?: string } | undefined
      )?.holderIdentity
    await waitFor(
      () => holder() === 'proc-1' && api.get('endpoints', 'web', 'shop') !== undefined,
      {
        timeoutMs: 30_000,
        what: `leader writing (stderr: ${stderr})`,
      }
    )
    child.kill('SIGTERM')
    assert.equal(await exited, 0, stderr)
    assert.equal(holder(), '')
  })
})

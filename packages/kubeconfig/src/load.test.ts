import { strict as assert } from 'node:assert'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { tempDir } from '@cattail/common/testing'
import { KubeconfigError, loadKubeConfig } from './load.js'

const base = (user: string): string =>
  [
    'clusters: [{name: c, cluster: {server: "https://198.18.0.1:6443"}}]',
    `users: [{name: u, user: ${user}}]`,
    'contexts: [{name: x, context: {cluster: c, user: u}}]',
    'current-context: x',
  ].join('\n')

void describe('loadKubeConfig', () => {
  void it('an untrusted inline kubeconfig cannot run its exec plugin or read a file', async () => {
    const dir = await tempDir('cattail-kcload-')
    try {
      const marker = join(dir.path, 'marker')
      const secret = join(dir.path, 'secret-token')
      await writeFile(secret, 'local-secret')
      const evil = base(
        `{exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: [-c, "touch ${marker}"]}}`
      )
      for (const [contents, field] of [
        [evil, /user\.exec/],
        [base(`{token-file: ${secret}}`), /user\.token-file/],
      ] as const) {
        assert.throws(
          () => loadKubeConfig({ kind: 'inline', contents, untrusted: { allowExec: false } }),
          (err: unknown) => err instanceof KubeconfigError && field.test(err.message)
        )
      }
      // trusted (the operator's own) contents load as before
      const kc = loadKubeConfig({ kind: 'inline', contents: base(`{token-file: ${secret}}`) })
      assert.equal(kc.getCurrentUser()?.token, 'local-secret')
      // with the opt-in, exec is admitted (client-node runs it only on a request)
      loadKubeConfig({ kind: 'inline', contents: evil, untrusted: { allowExec: true } })
      assert.equal(existsSync(marker), false)
    } finally {
      await dir.remove()
    }
  })

  void it('bad kubeconfigs are KubeconfigErrors naming the problem', () => {
    const cases: [Parameters<typeof loadKubeConfig>[0], RegExp][] = [
      [{ kind: 'inline', contents: ' ' }, /empty/],
      [{ kind: 'inline', contents: 'apiVersion: v1' }, /no current context/],
      [{ kind: 'path', path: '/nonexistent/kubeconfig' }, /cannot load \(path\)/],
      [
        { kind: 'inline', contents: base('{}').replace('https://', 'http://') },
        /insecure-skip-tls-verify/,
      ],
    ]
    for (const [src, want] of cases) {
      assert.throws(
        () => loadKubeConfig(src),
        (err: unknown) => err instanceof KubeconfigError && want.test(err.message),
        JSON.stringify(src)
      )
    }
    assert.throws(
      () => loadKubeConfig({ kind: 'in-cluster' }, { env: {} }),
      /KUBERNETES_SERVICE_HOST/
    )
  })

  void it('applies overrides and checks their files', () => {
    const kc = loadKubeConfig(
      { kind: 'inline', contents: base('{}') },
      { overrides: { server: 'https://198.18.0.2:6443', token: 'o' } }
    )
    assert.equal(kc.getCurrentCluster()?.server, 'https://198.18.0.2:6443')
    assert.equal(kc.getCurrentUser()?.token, 'o')
    assert.throws(
      () =>
        loadKubeConfig(
          { kind: 'inline', contents: base('{}') },
          { overrides: { caFile: '/nonexistent/ca.pem' } }
        ),
      /certificate-authority file \/nonexistent\/ca\.pem is not readable/
    )
  })
})

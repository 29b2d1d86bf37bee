import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { checkKubeconfig } from './check.js'

/** A usable kubeconfig with `user` and `cluster` merged into its only entries. */
function kubeconfig(user: Record<string, unknown> = {}, cluster: Record<string, unknown> = {}) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://198.18.0.1:6443', ...cluster } }],
    users: [{ name: 'u', user: { token: 't', ...user } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  })
}

const untrusted = { untrusted: true } as const
const exec = {
  apiVersion: 'client.authentication.k8s.io/v1',
  command: '/bin/sh',
  args: ['-c', 'id'],
}

void describe('checkKubeconfig', () => {
  void it('accepts contents fields in an untrusted kubeconfig', () => {
    const ok = kubeconfig(
      { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ', token: 'abc' },
      { 'certificate-authority-data': 'Q0E=', 'insecure-skip-tls-verify': false }
    )
    assert.equal(checkKubeconfig(ok, untrusted), undefined)
    assert.equal(
      checkKubeconfig(kubeconfig({ username: 'a', password: 'b' }), untrusted),
      undefined
    )
  })

  void it('rejects every field that runs a command or reads a local file, naming it', () => {
    const cases: [string, string, RegExp][] = [
      ['exec', kubeconfig({ exec }), /users\["u"\]\.user\.exec is not allowed/],
      [
        'auth-provider',
        kubeconfig({ 'auth-provider': { name: 'gcp', config: { 'cmd-path': '/bin/sh' } } }),
        /users\["u"\]\.user\.auth-provider is not allowed/,
      ],
      [
        'auth-provider (oidc, file)',
        kubeconfig({
          'auth-provider': { name: 'oidc', config: { 'idp-certificate-authority': '/etc/x' } },
        }),
        /user\.auth-provider/,
      ],
      [
        'token-file',
        kubeconfig({ 'token-file': '/var/run/secrets/t' }),
        /user\.token-file .*local file/,
      ],
      [
        'tokenFile',
        kubeconfig({ tokenFile: '/var/run/secrets/t' }),
        /user\.tokenFile .*local file/,
      ],
      [
        'client-certificate',
        kubeconfig({ 'client-certificate': '/c' }),
        /user\.client-certificate /,
      ],
      ['client-key', kubeconfig({ 'client-key': '/k' }), /user\.client-key /],
      [
        'certificate-authority',
        kubeconfig({}, { 'certificate-authority': '/etc/ssl/ca.pem' }),
        /clusters\["c"\]\.cluster\.certificate-authority .*local file/,
      ],
    ]
    for (const [name, contents, want] of cases) {
      assert.match(checkKubeconfig(contents, untrusted) ?? 'accepted', want, name)
      // the operator's own kubeconfig may use all of them
      assert.equal(checkKubeconfig(contents), undefined, `${name} (trusted)`)
    }
  })

  void it('looks at every user and cluster, not only the current context', () => {
    const doc = JSON.parse(kubeconfig()) as { users: unknown[]; clusters: unknown[] }
    doc.users.push({ name: 'other', user: { 'token-file': '/etc/shadow' } })
    assert.match(checkKubeconfig(JSON.stringify(doc), untrusted) ?? '', /users\["other"\]/)
  })

  void it('sees a field hidden behind a YAML merge key', () => {
    const yaml = [
      'base: &b {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh}}',
      'clusters: [{name: c, cluster: {server: "https://198.18.0.1:6443"}}]',
      'users: [{name: u, user: {<<: *b}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ].join('\n')
    assert.match(checkKubeconfig(yaml, untrusted) ?? '', /user\.exec/)
  })

  void it('allowExec admits exec plugins only; paths and auth-provider stay rejected', () => {
    const opts = { untrusted: true, allowExec: true }
    assert.equal(checkKubeconfig(kubeconfig({ exec }), opts), undefined)
    assert.match(
      checkKubeconfig(kubeconfig({ exec, 'token-file': '/t' }), opts) ?? '',
      /token-file/
    )
    assert.match(
      checkKubeconfig(kubeconfig({ 'auth-provider': { name: 'gcp' } }), opts) ?? '',
      /auth-provider/
    )
    assert.match(
      checkKubeconfig(kubeconfig({}, { 'certificate-authority': '/ca' }), opts) ?? '',
      /certificate-authority/
    )
  })

  void it('reports structural problems and never throws on junk', () => {
    assert.match(checkKubeconfig('{[: x') ?? '', /not valid YAML/)
    assert.match(checkKubeconfig('- a') ?? '', /not a YAML mapping/)
    assert.match(
      checkKubeconfig('users: 3', untrusted) ?? '',
      /users must be a list|current-context/
    )
    assert.match(checkKubeconfig('apiVersion: v1') ?? '', /no current-context/)
    assert.match(
      checkKubeconfig(kubeconfig({}, { server: 'ftp://x' })) ?? '',
      /is not an http\(s\) URL/
    )
    assert.equal(
      checkKubeconfig(kubeconfig({}, { server: 'ftp://x' }), { serverOverride: 'https://h' }),
      undefined
    )
    for (const junk of ['', 'null', '42', '[]', '{users: [null, 1, {user: 7}]}', 'a: !!binary x']) {
      assert.equal(typeof checkKubeconfig(junk, untrusted), 'string', junk)
    }
  })
})

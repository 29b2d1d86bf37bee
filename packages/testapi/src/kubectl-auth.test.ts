import { strict as assert } from 'node:assert'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type TempDir, tempDir } from '@cattail/common/testing'
import { kubectlRunner } from './kubectl-runner.js'
import { type TestApiServer, startTestApiServer } from './server.js'

void describe('test API server: protobuf bodies, tokens, RBAC with real kubectl', () => {
  let api: TestApiServer
  let dir: TempDir
  let kubeconfig: string
  const { kubectl, ok } = kubectlRunner(() => kubeconfig)

  before(async () => {
    api = await startTestApiServer({ enforceRbac: true })
    dir = await tempDir('cattail-kubectl-auth-')
    kubeconfig = await api.writeKubeconfig(dir.path)
  })
  after(async () => {
    await api.stop()
    await dir.remove()
  })

  void it('creates namespaces, secrets (--from-file), serviceaccounts, configmaps and services imperatively (protobuf bodies)', async () => {
    const file = join(dir.path, 'remote.kubeconfig')
    await writeFile(file, 'apiVersion: v1\nkind: Config\n')
    assert.match(
      await ok('create', 'namespace', 'cattail-system'),
      /namespace\/cattail-system created/
    )
    await ok(
      'create',
      'secret',
      'generic',
      'cluster-b',
      '-n',
      'cattail-system',
      `--from-file=kubeconfig=${file}`,
      '--from-literal=datastoreType=kubernetes'
    )
    await ok('create', 'serviceaccount', 'reader', '-n', 'cattail-system')
    await ok('create', 'configmap', 'cm', '-n', 'cattail-system', '--from-literal=a=b')
    await ok('create', 'service', 'clusterip', 'web', '-n', 'cattail-system', '--tcp=5678:8080')
    assert.equal(api.get('namespaces', 'cattail-system')?.metadata.name, 'cattail-system')
    const secret = api.get('secrets', 'cluster-b', 'cattail-system')
    assert.deepEqual(secret?.['data'], {
      datastoreType: Buffer.from('kubernetes').toString('base64'),
      kubeconfig: Buffer.from('apiVersion: v1\nkind: Config\n').toString('base64'),
    })
    assert.equal(api.get('serviceaccounts', 'reader', 'cattail-system')?.kind, 'ServiceAccount')
    assert.deepEqual(api.get('configmaps', 'cm', 'cattail-system')?.['data'], { a: 'b' })
    const svc = api.get('services', 'web', 'cattail-system')
    assert.deepEqual((svc?.['spec'] as { ports: unknown[] }).ports, [
      { name: '5678-8080', protocol: 'TCP', port: 5678, targetPort: 8080 },
    ])
  })

  void it('mints a token with create token; RBAC decides, can-i agrees, and denials carry the real Forbidden message', async () => {
    await ok('create', 'serviceaccount', 'probe', '-n', 'default')
    const token = (await ok('create', 'token', 'probe', '-n', 'default')).trim()
    assert.notEqual(token, '')
    const asProbe = ['--token', token]
    const no = await kubectl('auth', 'can-i', 'list', 'pods', ...asProbe)
    assert.equal(no.code, 1)
    assert.match(no.stdout, /^no/)
    const denied = await kubectl('get', 'pods', '-n', 'default', ...asProbe)
    assert.equal(denied.code, 1)
    assert.match(
      denied.stderr,
      /pods is forbidden: User "system:serviceaccount:default:probe" cannot list resource "pods" in API group "" in the namespace "default"/
    )
    const cluster = await kubectl('get', 'nodes', ...asProbe)
    assert.match(
      cluster.stderr,
      /nodes is forbidden: User "system:serviceaccount:default:probe" cannot list resource "nodes" in API group "" at the cluster scope/
    )
    const rbac = join(dir.path, 'rbac.yaml')
    await writeFile(
      rbac,
      `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: pod-reader, namespace: default }
rules:
  - { apiGroups: [""], resources: [pods], verbs: [get, list] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: pod-reader, namespace: default }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader }
subjects: [{ kind: ServiceAccount, name: probe, namespace: default }]
`
    )
    assert.match(
      await ok('apply', '-f', rbac),
      /role.rbac.authorization.k8s.io\/pod-reader created/
    )
    assert.match(await ok('auth', 'can-i', 'list', 'pods', ...asProbe), /^yes/)
    assert.match(
      await ok('auth', 'can-i', 'list', 'pods', '--as', 'system:serviceaccount:default:probe'),
      /^yes/
    )
    await ok('get', 'pods', '-n', 'default', ...asProbe)
    // the Role grants in its namespace only, and not watch
    const other = await kubectl('get', 'pods', '-n', 'kube-system', ...asProbe)
    assert.match(other.stderr, /in the namespace "kube-system"/)
    assert.equal((await kubectl('auth', 'can-i', 'watch', 'pods', ...asProbe)).code, 1)
    assert.ok(api.denials().some((m) => m.includes('cannot list resource "nodes"')))
    // a deleted ServiceAccount's token no longer authenticates
    await ok('delete', 'serviceaccount', 'probe', '-n', 'default')
    assert.match((await kubectl('get', 'pods', ...asProbe)).stderr, /Unauthorized/)
  })

  void it('server-side dry-run validates without storing', async () => {
    assert.match(await ok('create', 'namespace', 'dry', '--dry-run=server'), /server dry run/)
    assert.equal(api.get('namespaces', 'dry'), undefined)
    const rev = api.revision
    await ok('create', 'configmap', 'dry', '--from-literal=x=y', '--dry-run=server')
    assert.equal(api.get('configmaps', 'dry', 'default'), undefined)
    assert.equal(api.revision, rev)
  })

  void it('answers a malformed protobuf body with 400 and keeps serving', async () => {
    for (const body of [
      Buffer.from('k8s\0\x0a\xff', 'latin1'),
      Buffer.from('nope'),
      Buffer.from('k8s\0', 'latin1'),
    ]) {
      const r = await rawPost('/api/v1/namespaces', body)
      assert.equal(r.status, 400, `body ${body.toString('hex')}`)
      assert.match(r.text, /could not decode the protobuf request body/)
    }
    assert.match(await ok('get', 'namespaces'), /cattail-system/)
  })

  const rawPost = async (path: string, body: Buffer): Promise<{ status: number; text: string }> => {
    const { request } = await import('node:https')
    return await new Promise((resolve, reject) => {
      const req = request(
        `${api.url}${path}`,
        {
          method: 'POST',
          ca: api.caCert,
          headers: {
            authorization: `Bearer ${api.token}`,
            'content-type': 'application/vnd.kubernetes.protobuf',
          },
        },
        (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        }
      )
      req.on('error', reject)
      req.end(body)
    })
  }
})

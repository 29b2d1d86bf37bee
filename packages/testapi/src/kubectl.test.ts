import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type TempDir, tempDir, waitFor } from '@cattail/common/testing'
import { KUBECTL, kubectlRunner } from './kubectl-runner.js'
import { type TestApiServer, startTestApiServer } from './server.js'

void describe('test API server with real kubectl (needs /usr/bin/kubectl)', () => {
  let api: TestApiServer
  let dir: TempDir
  let kubeconfig: string
  const { kubectl, ok } = kubectlRunner(() => kubeconfig)

  before(async () => {
    api = await startTestApiServer()
    dir = await tempDir('cattail-kubectl-')
    kubeconfig = await api.writeKubeconfig(dir.path)
  })
  after(async () => {
    await api.stop()
    await dir.remove()
  })

  void it('applies a manifest (create, then change and re-apply) and reads it back with get -o yaml', async () => {
    const manifest = (label: string, cidr: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
  labels: {app: ${label}}
spec:
  nodeName: node1
  containers: [{name: c, image: nginx}]
---
apiVersion: crd.projectcalico.org/v1
kind: IPPool
metadata:
  name: pool-a
spec:
  cidr: ${cidr}
`
    const file = join(dir.path, 'm.yaml')
    await writeFile(file, manifest('web', '198.19.0.0/16'))
    assert.match(
      await ok('apply', '-f', file),
      /pod\/web created[\s\S]*ippool.crd.projectcalico.org\/pool-a created/
    )
    await writeFile(file, manifest('web2', '198.19.4.0/22'))
    assert.match(await ok('apply', '-f', file), /pod\/web configured[\s\S]*pool-a configured/)
    assert.equal(api.get('pods', 'web', 'default')?.metadata.labels?.['app'], 'web2')
    const yaml = await ok('get', 'ippools.crd.projectcalico.org', 'pool-a', '-o', 'yaml')
    assert.match(yaml, /cidr: 198\.19\.4\.0\/22/)
    assert.match(yaml, /generation: 2/)
    const podYaml = await ok('get', 'pod', 'web', '-o', 'yaml')
    assert.match(podYaml, /app: web2/)
  })

  void it('patches with --type merge and deletes', async () => {
    api.put('remoteclusterconfigurations.crd.projectcalico.org', {
      metadata: { name: 'cluster-b' },
      spec: { datastoreType: 'kubernetes' },
    })
    await ok(
      'patch',
      'remoteclusterconfigurations.crd.projectcalico.org',
      'cluster-b',
      '--type',
      'merge',
      '-p',
      '{"spec":{"syncOptions":{"overlayRoutingMode":"Enabled"}}}'
    )
    const rcc = api.get('remoteclusterconfigurations.crd.projectcalico.org', 'cluster-b')
    assert.deepEqual(rcc?.['spec'], {
      datastoreType: 'kubernetes',
      syncOptions: { overlayRoutingMode: 'Enabled' },
    })
    assert.match(
      await ok('delete', 'remoteclusterconfigurations.crd.projectcalico.org', 'cluster-b'),
      /deleted/
    )
    assert.equal(
      api.get('remoteclusterconfigurations.crd.projectcalico.org', 'cluster-b'),
      undefined
    )
  })

  void it('server-side applies (create, then update), and create of an existing object is AlreadyExists', async () => {
    const file = join(dir.path, 'ssa.yaml')
    const manifest = (order: number): string =>
      `apiVersion: crd.projectcalico.org/v1\nkind: Tier\nmetadata:\n  name: ssa-tier\nspec:\n  order: ${order}\n`
    await writeFile(file, manifest(10))
    assert.match(await ok('apply', '--server-side', '-f', file), /serverside-applied/)
    await writeFile(file, manifest(20))
    await ok('apply', '--server-side', '-f', file)
    assert.deepEqual(api.get('tiers.crd.projectcalico.org', 'ssa-tier')?.['spec'], { order: 20 })
    const r = await kubectl('create', '-f', file)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /AlreadyExists/)
  })

  void it('streams changes with get --watch', async () => {
    api.put('nodes', { metadata: { name: 'node-w1' } })
    const child = spawn(
      KUBECTL,
      ['--kubeconfig', kubeconfig, 'get', 'nodes', '--watch', '--output-watch-events'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      }
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    try {
      await waitFor(() => /ADDED\s+node-w1/.test(out), { timeoutMs: 15_000, what: 'initial list' })
      api.put('nodes', { metadata: { name: 'node-w2' } })
      api.remove('nodes', 'node-w1')
      await waitFor(() => /ADDED\s+node-w2/.test(out) && /DELETED\s+node-w1/.test(out), {
        timeoutMs: 15_000,
        what: 'watch events',
      })
    } finally {
      child.kill('SIGKILL')
    }
  })

  void it('serves the kinds of a CRD applied with kubectl until the CRD is deleted', async () => {
    const cache = ['--cache-dir', join(dir.path, 'crd-cache')]
    const crdFile = join(dir.path, 'crd.yaml')
    await writeFile(
      crdFile,
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: gadgets.example.cattail.dev }
spec:
  group: example.cattail.dev
  names: { plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd] }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
`
    )
    const objFile = join(dir.path, 'gadget.yaml')
    const gadget = (size: number): string =>
      `apiVersion: example.cattail.dev/v1\nkind: Gadget\nmetadata: { name: g1, namespace: lab }\nspec: { size: ${size} }\n`
    await writeFile(objFile, gadget(1))
    const missing = await kubectl(...cache, 'apply', '-f', objFile)
    assert.notEqual(missing.code, 0)
    assert.match(
      missing.stderr,
      /no matches for kind "Gadget" in version "example.cattail.dev\/v1"/
    )

    assert.match(await ok(...cache, 'apply', '-f', crdFile), /gadgets.example.cattail.dev created/)
    await ok(...cache, 'wait', '--for=condition=Established', 'crd/gadgets.example.cattail.dev')
    assert.match(
      await ok(...cache, 'apply', '-f', objFile),
      /gadget.example.cattail.dev\/g1 created/
    )
    await writeFile(objFile, gadget(2))
    assert.match(await ok(...cache, 'apply', '-f', objFile), /g1 configured/)
    assert.match(await ok(...cache, '-n', 'lab', 'get', 'gd', 'g1', '-o', 'yaml'), /size: 2/)
    assert.match(
      await ok(...cache, 'api-resources', '--api-group=example.cattail.dev'),
      /gadgets\s+gd\s+example.cattail.dev\/v1\s+true\s+Gadget/
    )
    await ok(...cache, 'delete', '-f', crdFile)
    assert.equal(api.list('customresourcedefinitions.apiextensions.k8s.io').length, 0)
    // a fresh kubectl (new discovery cache) no longer finds the kind
    const gone = await kubectl('--cache-dir', join(dir.path, 'crd-cache-2'), 'get', 'gadgets', '-A')
    assert.notEqual(gone.code, 0)
    assert.match(gone.stderr, /the server doesn't have a resource type "gadgets"/)
  })

  void it('fails with exit code 1 and NotFound text for a missing object', async () => {
    const r = await kubectl('get', 'pod', 'nope')
    assert.equal(r.code, 1)
    assert.match(r.stderr, /NotFound.*pods "nope" not found/)
  })

  void it('fails with Unauthorized for a wrong token', async () => {
    const r = await kubectl('--token', 'wrong', 'get', 'pods')
    assert.equal(r.code, 1)
    assert.match(r.stderr, /Unauthorized/)
  })
})

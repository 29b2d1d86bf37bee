/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- raw API JSON in assertions */
import { strict as assert } from 'node:assert'
import { after, before, describe, it } from 'node:test'
import { compareVersions } from './discovery.js'
import { type TestApiServer, startTestApiServer } from './server.js'

type Json = Record<string, any>

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions'

/** A CRD like cert-manager's Certificate (or a variant: other names, scope, versions). */
function crd(
  opts: {
    group?: string
    plural?: string
    kind?: string
    scope?: string
    versions?: Json[]
  } = {}
): Json {
  const group = opts.group ?? 'cert-manager.io'
  const plural = opts.plural ?? 'certificates'
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { plural, kind: opts.kind ?? 'Certificate', shortNames: ['cert'] },
      scope: opts.scope ?? 'Namespaced',
      versions: opts.versions ?? [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      ],
    },
  }
}

const schema = { openAPIV3Schema: { type: 'object' } }

void describe('test API server: kinds from CustomResourceDefinitions', () => {
  let api: TestApiServer
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json'
  ): Promise<{ status: number; body: Json }> => {
    const res = await fetch(api.url + path, {
      method,
      headers: { authorization: `Bearer ${api.token}`, 'content-type': contentType },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    return { status: res.status, body: (await res.json()) as Json }
  }
  const certs = '/apis/cert-manager.io/v1/namespaces/ns1/certificates'
  const cert = (name: string, extra: Json = {}): Json => ({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name },
    spec: { secretName: name },
    ...extra,
  })

  before(async () => {
    api = await startTestApiServer({ tls: false })
  })
  after(async () => {
    await api.stop()
  })

  void it('create CRD → discovery and OpenAPI list it → custom objects round-trip → delete CRD → 404 and objects gone', async () => {
    assert.equal((await call('GET', certs)).status, 404)
    assert.equal((await call('GET', '/apis/cert-manager.io')).status, 404)

    const created = await call('POST', CRDS, crd())
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const conds = created.body.status.conditions.map((c: Json) => `${c.type}=${c.status}`)
    assert.deepEqual(conds, ['NamesAccepted=True', 'Established=True'])
    assert.equal(created.body.status.acceptedNames.singular, 'certificate')
    assert.equal(created.body.status.acceptedNames.listKind, 'CertificateList')

    const groups = await call('GET', '/apis')
    const g = groups.body.groups.find((x: Json) => x.name === 'cert-manager.io')
    assert.deepEqual(g.preferredVersion, { groupVersion: 'cert-manager.io/v1', version: 'v1' })
    assert.equal((await call('GET', '/apis/cert-manager.io')).body.kind, 'APIGroup')
    const rl = await call('GET', '/apis/cert-manager.io/v1')
    assert.deepEqual(
      rl.body.resources.map((r: Json) => [r.name, r.kind, r.namespaced]),
      [
        ['certificates', 'Certificate', true],
        ['certificates/status', 'Certificate', true],
      ]
    )
    assert.deepEqual(rl.body.resources[0].shortNames, ['cert'])
    assert.ok(rl.body.resources[0].verbs.includes('watch'))
    const oapi = await call('GET', '/openapi/v3')
    assert.ok(oapi.body.paths['apis/cert-manager.io/v1'])
    const gvDoc = await call('GET', '/openapi/v3/apis/cert-manager.io/v1')
    const op =
      gvDoc.body.paths['/apis/cert-manager.io/v1/namespaces/{namespace}/certificates/{name}']
    assert.deepEqual(op.patch['x-kubernetes-group-version-kind'], {
      group: 'cert-manager.io',
      version: 'v1',
      kind: 'Certificate',
    })

    // a dry run stores nothing
    const rev = api.revision
    assert.equal((await call('POST', `${certs}?dryRun=All`, cert('dry'))).status, 201)
    assert.equal(api.revision, rev)

    const a = await call('POST', certs, cert('a'))
    assert.equal(a.status, 201, JSON.stringify(a.body))
    assert.equal(a.body.metadata.namespace, 'ns1')
    assert.ok(a.body.metadata.uid)
    const watch = await fetch(
      `${api.url}${certs}?watch=true&resourceVersion=${a.body.metadata.resourceVersion}`,
      {
        headers: { authorization: `Bearer ${api.token}` },
        signal: AbortSignal.timeout(10_000), // bounds the reads below
      }
    )
    assert.equal(watch.status, 200)
    assert.equal((await call('GET', `${certs}/a`)).body.spec.secretName, 'a')
    const patched = await call(
      'PATCH',
      `${certs}/a`,
      { spec: { duration: '1h' } },
      'application/merge-patch+json'
    )
    assert.deepEqual([patched.status, patched.body.spec.duration], [200, '1h'])
    const put = await call('PUT', `${certs}/a`, { ...patched.body, spec: { secretName: 'b' } })
    assert.deepEqual([put.status, put.body.metadata.generation], [200, 3])
    const status = await call('PUT', `${certs}/a/status`, { ...put.body, status: { ready: true } })
    assert.deepEqual([status.status, status.body.status], [200, { ready: true }])
    const list = await call('GET', '/apis/cert-manager.io/v1/certificates')
    assert.deepEqual(
      [list.body.kind, list.body.apiVersion, list.body.items.map((o: Json) => o.metadata.name)],
      ['CertificateList', 'cert-manager.io/v1', ['a']]
    )
    assert.equal(api.get('certificates.cert-manager.io', 'a', 'ns1')?.metadata.name, 'a')

    // the watch saw the edits (read the stream until the MODIFIED event of the PUT)
    const reader = (watch.body as ReadableStream<Uint8Array>).getReader()
    let seen = ''
    while (!seen.includes('"secretName":"b"')) {
      const { value, done } = await reader.read()
      assert.ok(!done, `watch ended early: ${seen}`)
      seen += new TextDecoder().decode(value)
    }
    assert.match(seen, /"type":"MODIFIED"/)
    await reader.cancel()

    assert.equal((await call('DELETE', `${certs}/a`)).status, 200)
    assert.equal((await call('GET', `${certs}/a`)).status, 404)
    assert.equal((await call('POST', certs, cert('b'))).status, 201)

    const del = await call('DELETE', `${CRDS}/certificates.cert-manager.io`)
    assert.equal(del.status, 200)
    const gone = await call('GET', certs)
    assert.deepEqual([gone.status, gone.body.kind, gone.body.reason], [404, 'Status', 'NotFound'])
    assert.equal((await call('GET', '/apis/cert-manager.io/v1')).status, 404)
    const after = await call('GET', '/apis')
    assert.ok(!after.body.groups.some((x: Json) => x.name === 'cert-manager.io'))
    assert.ok(!('apis/cert-manager.io/v1' in (await call('GET', '/openapi/v3')).body.paths))
    // the CRD's objects went with it: a new CRD of the same name starts empty
    assert.equal((await call('POST', CRDS, crd())).status, 201)
    assert.deepEqual((await call('GET', certs)).body.items, [])
    assert.equal((await call('DELETE', `${CRDS}/certificates.cert-manager.io`)).status, 200)
  })

  void it('rejects custom objects of the wrong kind or apiVersion and without a name, with Status objects', async () => {
    assert.equal((await call('POST', CRDS, crd())).status, 201)
    const kind = await call('POST', certs, cert('k', { kind: 'Issuer' }))
    assert.deepEqual([kind.status, kind.body.kind, kind.body.reason], [422, 'Status', 'Invalid'])
    assert.equal(
      kind.body.message,
      'Certificate.cert-manager.io "k" is invalid: kind: Invalid value: "Issuer": must be Certificate'
    )
    const ver = await call('POST', certs, cert('v', { apiVersion: 'cert-manager.io/v1alpha2' }))
    assert.deepEqual([ver.status, ver.body.reason], [400, 'BadRequest'])
    assert.equal(
      ver.body.message,
      'the API version in the data (cert-manager.io/v1alpha2) does not match the expected API version (cert-manager.io/v1)'
    )
    const noName = await call('POST', certs, { ...cert(''), metadata: {} })
    assert.deepEqual([noName.status, noName.body.reason], [422, 'Invalid'])
    assert.equal(
      noName.body.message,
      'Certificate.cert-manager.io "" is invalid: metadata.name: Required value: name or generateName is required'
    )
    // an update may not change the kind either
    assert.equal((await call('POST', certs, cert('u'))).status, 201)
    const upd = await call('PUT', `${certs}/u`, cert('u', { kind: 'Issuer' }))
    assert.equal(upd.status, 422)
    assert.equal((await call('DELETE', `${CRDS}/certificates.cert-manager.io`)).status, 200)
  })

  void it('answers malformed CRDs with 422/400 Status objects and keeps serving', async () => {
    const good = crd()
    const cases: [string, unknown, RegExp][] = [
      ['no spec', { ...good, spec: undefined }, /spec: Required value/],
      ['spec not an object', { ...good, spec: 5 }, /spec: Required value/],
      [
        'group without a dot',
        crd({ group: 'certs' }),
        /spec\.group: Invalid value: "certs": should be a domain with at least one dot/,
      ],
      [
        'bad scope',
        crd({ scope: 'Global' }),
        /spec\.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"/,
      ],
      [
        'name mismatch',
        { ...good, metadata: { name: 'certs.cert-manager.io' } },
        /metadata\.name: Invalid value: "certs\.cert-manager\.io": must be spec\.names\.plural\+"\."\+spec\.group/,
      ],
      [
        'no versions',
        crd({ versions: [] }),
        /must have exactly one version marked as storage version/,
      ],
      [
        'versions not a list',
        crd({ versions: 'v1' as unknown as Json[] }),
        /must have exactly one version marked as storage version/,
      ],
      [
        'two storage versions',
        crd({
          versions: [
            { name: 'v1', served: true, storage: true, schema },
            { name: 'v2', served: true, storage: true, schema },
          ],
        }),
        /exactly one version marked as storage version/,
      ],
      [
        'no schema',
        crd({ versions: [{ name: 'v1', served: true, storage: true }] }),
        /schema\.openAPIV3Schema: Required value: schemas are required/,
      ],
      [
        'bad version name',
        crd({ versions: [{ name: 'V_1', served: true, storage: true, schema }] }),
        /spec\.versions\[0\]\.name: Invalid value: "V_1"/,
      ],
      [
        'names not an object',
        { ...good, spec: { ...good['spec'], names: [] } },
        /spec\.names\.plural: Required value.*spec\.names\.kind: Required value/,
      ],
      [
        'version entry not an object',
        crd({ versions: [null as unknown as Json] }),
        /spec\.versions\[0\]: Invalid value: null/,
      ],
    ]
    for (const [what, body, message] of cases) {
      const r = await call('POST', CRDS, body)
      assert.equal(r.status, 422, `${what}: ${JSON.stringify(r.body)}`)
      assert.deepEqual([r.body.kind, r.body.reason], ['Status', 'Invalid'], what)
      assert.match(
        r.body.message,
        /^CustomResourceDefinition\.apiextensions\.k8s\.io ".*" is invalid: /,
        what
      )
      assert.match(r.body.message, message, what)
    }
    for (const body of ['"a string"', '[1,2]', '{not json']) {
      const res = await fetch(api.url + CRDS, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
        body,
      })
      assert.equal(res.status, 400, body)
    }
    // also as a dry run, and nothing was registered
    assert.equal((await call('POST', `${CRDS}?dryRun=All`, crd({ scope: 'x' }))).status, 422)
    assert.ok(!(await call('GET', '/apis')).body.groups.some((g: Json) => g.name === 'certs'))
    // an update may not change the scope
    assert.equal((await call('POST', CRDS, crd())).status, 201)
    const scope = await call(
      'PUT',
      `${CRDS}/certificates.cert-manager.io`,
      crd({ scope: 'Cluster' })
    )
    assert.equal(scope.status, 422)
    assert.match(scope.body.message, /spec\.scope: Invalid value: "Cluster": field is immutable/)
    // updates without metadata (the name comes from the path)
    const noMeta = await call('PUT', `${CRDS}/certificates.cert-manager.io`, {
      spec: crd()['spec'],
    })
    assert.equal(noMeta.status, 200, JSON.stringify(noMeta.body))
    assert.equal(
      (await call('PUT', `${CRDS}/certificates.cert-manager.io`, { spec: 1 })).status,
      422
    )
    assert.equal((await call('POST', certs, cert('m'))).status, 201)
    assert.equal((await call('PUT', `${certs}/m`, { kind: 'Issuer' })).status, 422)
    assert.equal((await call('PUT', `${certs}/m`, { spec: {} })).status, 200)
    assert.equal((await call('DELETE', `${CRDS}/certificates.cert-manager.io`)).status, 200)
    assert.equal((await call('GET', '/version')).status, 200)
  })

  void it('a dry-run CRD registers nothing', async () => {
    assert.equal((await call('POST', `${CRDS}?dryRun=All`, crd())).status, 201)
    assert.equal((await call('GET', certs)).status, 404)
  })

  void it('serves cluster-scoped kinds, every served version, and follows CRD updates', async () => {
    const versions = [
      { name: 'v1alpha1', served: true, storage: false, schema },
      { name: 'v1', served: true, storage: true, schema },
    ]
    const body = crd({
      group: 'example.cattail.dev',
      plural: 'widgets',
      kind: 'Widget',
      scope: 'Cluster',
      versions,
    })
    const c = await call('POST', CRDS, body)
    assert.equal(c.status, 201)
    const g = await call('GET', '/apis/example.cattail.dev')
    assert.deepEqual(
      g.body.versions.map((v: Json) => v.version),
      ['v1', 'v1alpha1']
    )
    assert.equal(g.body.preferredVersion.version, 'v1')
    const w = await call('POST', '/apis/example.cattail.dev/v1/widgets', {
      apiVersion: 'example.cattail.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w1' },
    })
    assert.equal(w.status, 201)
    assert.equal(w.body.metadata.namespace, undefined)
    const alpha = await call('GET', '/apis/example.cattail.dev/v1alpha1/widgets/w1')
    assert.deepEqual([alpha.status, alpha.body.metadata.name], [200, 'w1'])
    // stop serving v1alpha1
    const upd = await call('PUT', `${CRDS}/widgets.example.cattail.dev`, {
      ...c.body,
      spec: {
        ...c.body.spec,
        versions: [{ name: 'v1alpha1', served: false, storage: false, schema }, versions[1]],
      },
    })
    assert.equal(upd.status, 200, JSON.stringify(upd.body))
    assert.equal((await call('GET', '/apis/example.cattail.dev/v1alpha1/widgets/w1')).status, 404)
    assert.equal((await call('GET', '/apis/example.cattail.dev/v1/widgets/w1')).status, 200)
    assert.equal((await call('DELETE', `${CRDS}/widgets.example.cattail.dev`)).status, 200)
  })

  void it('keeps the statically served kinds when their CRD is applied and deleted', async () => {
    const rcc = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'remoteclusterconfigurations.crd.projectcalico.org' },
      spec: {
        group: 'crd.projectcalico.org',
        names: { plural: 'remoteclusterconfigurations', kind: 'RemoteClusterConfiguration' },
        scope: 'Cluster',
        versions: [{ name: 'v1', served: true, storage: true, schema }],
      },
    }
    const path = '/apis/crd.projectcalico.org/v1/remoteclusterconfigurations'
    assert.equal((await call('POST', CRDS, rcc)).status, 201)
    assert.equal((await call('POST', path, { metadata: { name: 'r1' }, spec: {} })).status, 201)
    assert.equal((await call('DELETE', `${CRDS}/${rcc.metadata.name}`)).status, 200)
    assert.equal((await call('GET', `${path}/r1`)).status, 200)
    const rl = await call('GET', '/apis/crd.projectcalico.org/v1')
    assert.equal(
      rl.body.resources.filter((r: Json) => r.name === 'remoteclusterconfigurations').length,
      1
    )
  })

  void it('orders versions as Kubernetes does', () => {
    const vs = ['v1alpha1', 'foo', 'v2', 'v1beta2', 'v1', 'v10beta1', 'v1beta1', 'v11alpha2', 'bar']
    assert.deepEqual(vs.sort(compareVersions), [
      'v2',
      'v1',
      'v10beta1',
      'v1beta2',
      'v1beta1',
      'v11alpha2',
      'v1alpha1',
      'bar',
      'foo',
    ])
  })
})

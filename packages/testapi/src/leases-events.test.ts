import { strict as assert } from 'node:assert'
import { after, before, describe, it } from 'node:test'
import { type TestApiServer, startTestApiServer } from './server.js'

type Json = Record<string, unknown>

void describe('test API server: Leases, Events, Endpoints and EndpointSlice tables', () => {
  let api: TestApiServer
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    accept = 'application/json'
  ) => {
    const res = await fetch(api.url + path, {
      method,
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json', accept },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    return { status: res.status, body: (await res.json()) as Json }
  }
  before(async () => {
    api = await startTestApiServer({ tls: false })
  })
  after(() => api.stop())

  void it('creates, gets and updates a coordination.k8s.io/v1 Lease with 409 on a stale resourceVersion', async () => {
    const path = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases'
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'l' },
      spec: { holderIdentity: 'a' },
    }
    const created = await call('POST', path, lease)
    assert.equal(created.status, 201)
    assert.equal((await call('POST', path, lease)).status, 409)
    const got = await call('GET', `${path}/l`)
    const next = { ...got.body, spec: { holderIdentity: 'b' } }
    assert.equal((await call('PUT', `${path}/l`, next)).status, 200)
    const stale = await call('PUT', `${path}/l`, next)
    assert.deepEqual([stale.status, stale.body['reason']], [409, 'Conflict'])
  })

  void it('creates Events with generateName', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: 'web.' },
      involvedObject: { kind: 'Service', name: 'web', namespace: 'default' },
      reason: 'NotOwned',
      message: 'm',
      type: 'Warning',
    })
    assert.equal(r.status, 201)
    assert.match(String((r.body['metadata'] as Json)['name']), /^web\./)
  })

  void it('answers kubectl Table requests for endpoints and endpointslices with their columns', async () => {
    api.put('endpoints', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'default' },
      subsets: [
        {
          addresses: ['198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.4'].map((ip) => ({ ip })),
          ports: [{ port: 80 }],
        },
      ],
    })
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'
    const t = await call('GET', '/api/v1/namespaces/default/endpoints', undefined, accept)
    assert.equal(t.body['kind'], 'Table')
    const rows = t.body['rows'] as { cells: string[] }[]
    assert.deepEqual(rows[0]?.cells.slice(0, 2), [
      'web',
      '198.18.0.1:80,198.18.0.2:80,198.18.0.3:80 + 1 more...',
    ])
    const plain = await call('GET', '/api/v1/namespaces/default/endpoints')
    assert.equal(plain.body['kind'], 'EndpointsList')
  })
})

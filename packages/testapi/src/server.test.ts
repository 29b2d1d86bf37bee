/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- raw API JSON in assertions */
import { strict as assert } from 'node:assert'
import { request as httpsRequest } from 'node:https'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@cattail/common/testing'
import { type TestApiServer, startTestApiServer } from './server.js'
import type { KubeObject } from './store.js'

type Json = Record<string, any>

/** A JSON request with the server's token. */
async function call(
  api: TestApiServer,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json'
): Promise<{ status: number; body: Json }> {
  const res = await fetch(api.url + path, {
    method,
    headers: { authorization: `Bearer ${api.token}`, 'content-type': contentType },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as Json }
}

/** Opens a watch and collects its event lines until `close()`. */
function openWatch(api: TestApiServer, path: string) {
  const ctl = new AbortController()
  const events: Json[] = []
  let status = 0
  const done = (async () => {
    const res = await fetch(api.url + path, {
      headers: { authorization: `Bearer ${api.token}` },
      signal: ctl.signal,
    })
    status = res.status
    if (res.status !== 200) {
      events.push((await res.json()) as Json)
      return
    }
    const dec = new TextDecoder()
    let buf = ''
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true })
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, i)) as Json)
        buf = buf.slice(i + 1)
      }
    }
  })().catch((err: unknown) => {
    if (!ctl.signal.aborted) throw err
  })
  return {
    events,
    get status() {
      return status
    },
    done,
    close: async () => {
      ctl.abort()
      await done
    },
  }
}

const pod = (name: string, labels: Record<string, string> = {}, ns = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { nodeName: 'n1' },
})

void describe('test API server (plain http)', () => {
  let api: TestApiServer
  before(async () => {
    api = await startTestApiServer({ tls: false, bookmarkIntervalMs: 50, historyLimit: 50 })
  })
  after(async () => {
    await api.stop()
  })

  void it('rejects requests without or with a wrong token with a 401 Status', async () => {
    const none = await fetch(`${api.url}/api/v1/pods`)
    assert.equal(none.status, 401)
    const bad = await fetch(`${api.url}/api/v1/pods`, { headers: { authorization: 'Bearer nope' } })
    const body = (await bad.json()) as Json
    assert.equal(bad.status, 401)
    assert.deepEqual([body.kind, body.reason, body.code], ['Status', 'Unauthorized', 401])
    assert.ok(api.counts().unauthorized >= 2)
  })

  void it('serves discovery for core, calico CRD and networking groups', async () => {
    const core = await call(api, 'GET', '/api/v1')
    const pods = core.body.resources.find((r: Json) => r.name === 'pods')
    assert.deepEqual([pods.kind, pods.namespaced, pods.shortNames], ['Pod', true, ['po']])
    const groups = await call(api, 'GET', '/apis')
    const names = groups.body.groups.map((g: Json) => g.name)
    for (const g of ['crd.projectcalico.org', 'networking.k8s.io', 'discovery.k8s.io'])
      assert.ok(names.includes(g), g)
    const crd = await call(api, 'GET', '/apis/crd.projectcalico.org/v1')
    const rcc = crd.body.resources.find((r: Json) => r.name === 'remoteclusterconfigurations')
    assert.equal(rcc.namespaced, false)
    assert.equal((await call(api, 'GET', '/apis/nope/v1')).status, 404)
  })

  void it('creates, gets, updates with conflict detection, and deletes with Status errors', async () => {
    const created = await call(api, 'POST', '/api/v1/namespaces/crud/pods', pod('a', {}, 'crud'))
    assert.equal(created.status, 201)
    const meta = created.body.metadata
    assert.ok(meta.uid && meta.creationTimestamp && meta.resourceVersion)
    assert.equal(meta.generation, 1)
    const dup = await call(api, 'POST', '/api/v1/namespaces/crud/pods', pod('a', {}, 'crud'))
    assert.deepEqual([dup.status, dup.body.reason], [409, 'AlreadyExists'])
    const bad = await call(api, 'POST', '/api/v1/namespaces/crud/pods', pod('Bad_Name', {}, 'crud'))
    assert.deepEqual([bad.status, bad.body.reason], [422, 'Invalid'])

    const upd = { ...created.body, spec: { nodeName: 'n2' } }
    const ok = await call(api, 'PUT', '/api/v1/namespaces/crud/pods/a', upd)
    assert.equal(ok.status, 200)
    assert.equal(ok.body.metadata.generation, 2)
    assert.equal(ok.body.metadata.uid, meta.uid)
    const stale = await call(api, 'PUT', '/api/v1/namespaces/crud/pods/a', upd)
    assert.deepEqual([stale.status, stale.body.reason], [409, 'Conflict'])

    const st = await call(api, 'PUT', '/api/v1/namespaces/crud/pods/a/status', {
      metadata: { name: 'a' },
      status: { podIP: '198.19.0.1' },
    })
    assert.equal(st.body.status.podIP, '198.19.0.1')
    assert.equal(st.body.spec.nodeName, 'n2')

    const del = await call(api, 'DELETE', '/api/v1/namespaces/crud/pods/a')
    assert.equal(del.status, 200)
    const gone = await call(api, 'GET', '/api/v1/namespaces/crud/pods/a')
    assert.deepEqual(
      [gone.status, gone.body.kind, gone.body.reason, gone.body.message],
      [404, 'Status', 'NotFound', 'pods "a" not found']
    )
  })

  void it('applies merge, strategic-merge and JSON patches', async () => {
    api.put('pods', pod('p', { a: '1', b: '2' }, 'patch'))
    const m = await call(
      api,
      'PATCH',
      '/api/v1/namespaces/patch/pods/p',
      { metadata: { labels: { a: null, c: '3' } } },
      'application/merge-patch+json'
    )
    assert.deepEqual(m.body.metadata.labels, { b: '2', c: '3' })
    const s = await call(
      api,
      'PATCH',
      '/api/v1/namespaces/patch/pods/p',
      { spec: { nodeName: 'n9' } },
      'application/strategic-merge-patch+json'
    )
    assert.equal(s.body.spec.nodeName, 'n9')
    const j = await call(
      api,
      'PATCH',
      '/api/v1/namespaces/patch/pods/p',
      [{ op: 'replace', path: '/spec/nodeName', value: 'n7' }],
      'application/json-patch+json'
    )
    assert.equal(j.body.spec.nodeName, 'n7')
    const missing = await call(
      api,
      'PATCH',
      '/api/v1/namespaces/patch/pods/zz',
      {},
      'application/merge-patch+json'
    )
    assert.equal(missing.status, 404)
  })

  void it('pages lists with limit/continue and filters by label and field selectors', async () => {
    for (let i = 0; i < 7; i++)
      api.put('pods', pod(`l${i}`, { app: i % 2 === 0 ? 'even' : 'odd', tier: `t${i}` }, 'list'))
    const names: string[] = []
    let cont = ''
    let pages = 0
    do {
      const q = `/api/v1/namespaces/list/pods?limit=3${cont ? `&continue=${cont}` : ''}`
      const page = await call(api, 'GET', q)
      assert.equal(page.body.kind, 'PodList')
      names.push(...page.body.items.map((p: Json) => p.metadata.name))
      cont = page.body.metadata.continue ?? ''
      pages++
    } while (cont !== '')
    assert.equal(pages, 3)
    assert.deepEqual(names, ['l0', 'l1', 'l2', 'l3', 'l4', 'l5', 'l6'])

    const sel = async (s: string): Promise<string[]> =>
      (await call(api, 'GET', `/api/v1/namespaces/list/pods?${s}`)).body.items.map(
        (p: Json) => p.metadata.name
      )
    assert.deepEqual(await sel('labelSelector=app%3Dodd'), ['l1', 'l3', 'l5'])
    assert.deepEqual(await sel('labelSelector=app!%3Dodd,tier%20in%20(t0,t2,t3)'), ['l0', 'l2'])
    assert.deepEqual(await sel('labelSelector=tier%20notin%20(t0,t1),app%3D%3Deven'), [
      'l2',
      'l4',
      'l6',
    ])
    assert.deepEqual(await sel('labelSelector=!app'), [])
    assert.deepEqual(await sel('fieldSelector=metadata.name%3Dl4'), ['l4'])
    const all = await call(api, 'GET', '/api/v1/pods')
    assert.equal(all.body.metadata.resourceVersion, String(api.revision))
  })

  void it('answers a continue token older than the history with 410 Expired', async () => {
    for (let i = 0; i < 3; i++) api.put('pods', pod(`e${i}`, {}, 'expire'))
    const first = await call(api, 'GET', '/api/v1/namespaces/expire/pods?limit=1')
    const token = first.body.metadata.continue as string
    assert.ok(token)
    assert.equal(first.body.metadata.remainingItemCount, 2)
    api.put('pods', pod('e9', {}, 'expire'))
    api.compact()
    const next = await call(api, 'GET', `/api/v1/namespaces/expire/pods?limit=1&continue=${token}`)
    assert.deepEqual([next.status, next.body.reason], [410, 'Expired'])
    const bad = await call(api, 'GET', '/api/v1/namespaces/expire/pods?continue=garbage')
    assert.equal(bad.status, 400)
  })

  void it('watches from a resourceVersion: replays history, then streams live, filtered', async () => {
    api.put('pods', pod('w1', { app: 'x' }, 'watch'))
    const from = api.revision
    api.put('pods', pod('w2', { app: 'x' }, 'watch'))
    api.put('pods', pod('other', { app: 'x' }, 'elsewhere'))
    const w = openWatch(
      api,
      `/api/v1/namespaces/watch/pods?watch=true&resourceVersion=${from}&labelSelector=app%3Dx`
    )
    try {
      await waitFor(() => w.events.length === 1)
      assert.deepEqual([w.events[0]!.type, w.events[0]!.object.metadata.name], ['ADDED', 'w2'])
      api.put('pods', pod('w1', { app: 'y' }, 'watch')) // leaves the selector → DELETED
      api.put('pods', pod('w1', { app: 'x' }, 'watch')) // back → ADDED
      api.remove('pods', 'w2', 'watch')
      await waitFor(() => w.events.length === 4)
      assert.deepEqual(
        w.events.map((e) => `${e.type}:${e.object.metadata.name}`),
        ['ADDED:w2', 'DELETED:w1', 'ADDED:w1', 'DELETED:w2']
      )
    } finally {
      await w.close()
    }
  })

  void it('sends bookmarks when allowed and ends the stream after timeoutSeconds', async () => {
    const w = openWatch(
      api,
      `/api/v1/pods?watch=true&resourceVersion=${api.revision}&allowWatchBookmarks=true&timeoutSeconds=1`
    )
    await w.done
    const bm = w.events.filter((e) => e.type === 'BOOKMARK')
    assert.ok(bm.length > 0)
    assert.equal(bm[0]!.object.metadata.resourceVersion, String(api.revision))
  })

  void it('reports a too-old resourceVersion as an ERROR event with a 410 Expired Status', async () => {
    const old = api.revision
    api.put('pods', pod('c1', {}, 'compact'))
    api.compact()
    const w = openWatch(api, `/api/v1/pods?watch=true&resourceVersion=${old}`)
    await w.done
    assert.equal(w.status, 200)
    assert.equal(w.events[0]!.type, 'ERROR')
    assert.deepEqual([w.events[0]!.object.code, w.events[0]!.object.reason], [410, 'Expired'])
    // watching from the current revision still works
    const ok = openWatch(api, `/api/v1/pods?watch=true&resourceVersion=${api.revision}`)
    api.put('pods', pod('c2', {}, 'compact'))
    await waitFor(() => ok.events.length === 1)
    await ok.close()
  })

  void it('drops history beyond historyLimit, and dropWatches ends open streams', async () => {
    const old = api.revision
    for (let i = 0; i < 60; i++)
      api.put('configmaps', { metadata: { name: `cm${i}`, namespace: 'h' } })
    const late = openWatch(api, `/api/v1/configmaps?watch=true&resourceVersion=${old}`)
    await late.done
    assert.equal(late.events[0]!.object.code, 410)
    const w = openWatch(api, `/api/v1/configmaps?watch=true&resourceVersion=${api.revision}`)
    await waitFor(() => api.openWatches === 1)
    api.dropWatches()
    await w.done
    assert.equal(api.openWatches, 0)
  })
})

void describe('test API server (https)', () => {
  void it('serves TLS with its own CA, returns HTTP 410 when configured, and restarts on the same port keeping the store', async () => {
    const api = await startTestApiServer({ expiredAs: 'http' })
    try {
      assert.match(api.url, /^https:\/\/127\.0\.0\.1:\d+$/)
      assert.match(api.kubeconfig(), /certificate-authority-data/)
      const get = (path: string): Promise<{ status: number; body: Json }> =>
        new Promise((resolve, reject) => {
          const req = httpsRequest(
            api.url + path,
            {
              ca: api.caCert,
              headers: { authorization: `Bearer ${api.token}` },
            },
            (res) => {
              let text = ''
              res.on('data', (d: Buffer) => (text += d.toString()))
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Json })
              )
            }
          )
          req.on('error', reject)
          req.end()
        })
      api.put('ippools.crd.projectcalico.org', {
        metadata: { name: 'pool' },
        spec: { cidr: '198.19.0.0/16' },
      })
      const old = api.revision
      api.put('ippools.crd.projectcalico.org', {
        metadata: { name: 'pool' },
        spec: { cidr: '198.19.1.0/24' },
      })
      api.compact()
      const expired = await get(
        `/apis/crd.projectcalico.org/v1/ippools?watch=true&resourceVersion=${old - 1}`
      )
      assert.deepEqual([expired.status, expired.body.reason], [410, 'Expired'])
      const port = api.port
      await api.stop()
      await assert.rejects(get('/version'))
      await api.restart()
      assert.equal(api.port, port)
      const pool = await get('/apis/crd.projectcalico.org/v1/ippools/pool')
      assert.equal(pool.body.spec.cidr, '198.19.1.0/24')
    } finally {
      await api.stop()
    }
  })
})

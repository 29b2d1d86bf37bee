import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { startTestEtcd } from './etcd.js'

describe('startTestEtcd (needs etcd-server)', () => {
  it('starts a real etcd on loopback, restarts it with its data, and removes it', async () => {
    const etcd = await startTestEtcd()
    try {
      const put = await fetch(`${etcd.endpoint}/v3/kv/put`, {
        method: 'POST',
        body: JSON.stringify({ key: btoa('k'), value: btoa('v') }),
      })
      assert.equal(put.status, 200)
      await etcd.kill()
      await etcd.restart()
      const got = await fetch(`${etcd.endpoint}/v3/kv/range`, {
        method: 'POST',
        body: JSON.stringify({ key: btoa('k') }),
      })
      const body = (await got.json()) as { kvs?: { value: string }[] }
      assert.equal(atob(body.kvs?.[0]?.value ?? ''), 'v')
    } finally {
      await etcd.stop()
    }
  })
})

import { strict as assert } from 'node:assert'
import { after, describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { freePort, waitFor } from '@cattail/common/testing'
import type { KVUpdate } from '@cattail/model'
import { FakeSyncServer } from '../testing/fake-sync-server.js'
import {
  DEFAULT_SYNC_CLIENT_CONFIG,
  type SyncAddressProvider,
  type SyncClientConfig,
} from './config.js'
import { SyncClient } from './sync-client.js'

const put = (name: string): KVUpdate => ({
  key: `Node/${name}`,
  value: { kind: 'Node', metadata: { name }, spec: {} },
  revision: '1',
})

const servers: FakeSyncServer[] = []
const clients: SyncClient[] = []
after(async () => {
  await Promise.all(clients.map((c) => c.stop()))
  await Promise.all(servers.map((s) => s.stop()))
})

async function server(): Promise<FakeSyncServer> {
  const s = await FakeSyncServer.start({ initial: [put('a')] })
  servers.push(s)
  return s
}

/** A provider that records its calls and answers with `answer(call)`. */
function provider(answer: (call: number) => readonly string[] | Error | Promise<never>): {
  fn: SyncAddressProvider
  calls: number
} {
  const p = {
    calls: 0,
    fn: (): Promise<readonly string[]> => {
      const r = answer(++p.calls)
      if (r instanceof Error) return Promise.reject(r)
      if (r instanceof Promise) return r
      return Promise.resolve(r)
    },
  }
  return p
}

function client(over: Partial<SyncClientConfig>): SyncClient {
  const c = new SyncClient(
    {
      ...DEFAULT_SYNC_CLIENT_CONFIG,
      addresses: [],
      nodeName: 'node-a',
      connectTimeoutMs: 2000,
      readTimeoutMs: 5000,
      backoff: { initialMs: 5, maxMs: 20, factor: 2, jitter: 0 },
      ...over,
    },
    { onUpdates: () => undefined, onStatus: () => undefined },
    createSilentLogger()
  )
  clients.push(c)
  return c
}

void describe('SyncClient with an address provider', () => {
  void it('asks at the start of every round, keeps its order and tries each address once', async () => {
    const srv = await server()
    const dead = `ws://127.0.0.1:${await freePort()}`
    const p = provider(() => [dead, srv.url])
    const c = client({ addressProvider: p.fn })
    await c.start()
    await waitFor(() => c.connectionState === 'streaming')
    assert.equal(c.attempts, 2, 'the dead address first (provider order), then the live one')
    assert.equal(p.calls, 1, 'one round, one question')
  })

  void it('asks again for every new round while nothing answers', async () => {
    const dead = [`ws://127.0.0.1:${await freePort()}`, `ws://127.0.0.1:${await freePort()}`]
    const p = provider(() => dead)
    const c = client({ addressProvider: p.fn })
    await c.start()
    await waitFor(() => c.attempts >= 6, { timeoutMs: 10_000 })
    await c.stop()
    assert.ok(p.calls >= 3 && p.calls <= Math.ceil(c.attempts / 2) + 1, `${p.calls} calls`)
  })

  void it('a provider error falls back to the static addresses, then to the last list it gave', async () => {
    const a = await server()
    const b = await server()
    let fail = true
    const p = provider(() => (fail ? new Error('api down') : [b.url]))
    const c = client({ addresses: [a.url], addressProvider: p.fn })
    await c.start()
    await waitFor(() => a.streaming === 1, { what: 'connected to the static address' })
    fail = false
    a.dropAll()
    await waitFor(() => b.streaming === 1, { what: 'connected to the discovered address' })
    fail = true
    b.dropAll()
    await waitFor(() => b.connectionsAccepted === 2, { what: 'back to the last known address' })
    assert.equal(a.connectionsAccepted, 1)
  })

  void it('an empty answer waits with the backoff and asks again', async () => {
    const srv = await server()
    const p = provider((n) => (n < 4 ? [] : [srv.url]))
    const c = client({ addressProvider: p.fn })
    await c.start()
    await waitFor(() => c.connectionState === 'streaming')
    assert.equal(p.calls, 4)
    assert.equal(c.attempts, 1, 'no attempt without an address')
  })

  void it('after a connection ends, the next attempt uses the fresh list', async () => {
    const a = await server()
    const b = await server()
    let list = [a.url, b.url]
    const p = provider(() => list)
    const c = client({ addressProvider: p.fn })
    await c.start()
    await waitFor(() => a.streaming === 1)
    list = [b.url]
    a.dropAll()
    await waitFor(() => b.streaming === 1)
    assert.equal(p.calls, 2)
    assert.equal(a.connectionsAccepted, 1)
  })

  void it('skips unusable URLs (not ws, or wss without TLS)', async () => {
    const srv = await server()
    const p = provider(() => ['http://x:1', 'wss://y:1', 'not a url', srv.url])
    const c = client({ addressProvider: p.fn })
    await c.start()
    await waitFor(() => c.connectionState === 'streaming')
    assert.equal(c.attempts, 1)
  })

  void it('stop() returns while the provider hangs', async () => {
    const p = provider(() => new Promise<never>(() => undefined))
    const c = client({ addressProvider: p.fn })
    await c.start()
    await waitFor(() => p.calls === 1)
    await c.stop()
    assert.equal(c.connectionState, 'stopped')
    assert.equal(c.attempts, 0)
  })

  void it('needs static addresses only without a provider', () => {
    assert.throws(() => client({}), /addresses: at least one server address/)
    assert.doesNotThrow(() => client({ addressProvider: () => Promise.resolve([]) }))
  })
})

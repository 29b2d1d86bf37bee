import { createSilentLogger } from '@cattail/common'
import {
  makeTestCa,
  tempDir,
  waitFor,
  type TestCa,
  type TestCert,
  type TempDir,
} from '@cattail/common/testing'
import { strict as assert } from 'node:assert'
import { after, before, describe, it } from 'node:test'
import { FakeSyncServer } from '../testing/fake-sync-server.js'
import { DEFAULT_SYNC_CLIENT_CONFIG, type SyncClientTlsConfig } from './config.js'
import { SyncClient } from './sync-client.js'

let dir: TempDir
let ca: TestCa
let otherCa: TestCa
let serverCert: TestCert
let clientCert: TestCert
let foreignClientCert: TestCert
let srv: FakeSyncServer
const clients: SyncClient[] = []

before(async () => {
  dir = await tempDir('cattail-syncproto-tls-')
  ca = await makeTestCa(dir.path, 'ca')
  otherCa = await makeTestCa(dir.path, 'other-ca')
  serverCert = await ca.issue('cache', {
    cn: 'cattail-cache',
    uriSan: 'spiffe://mesh.test/cattail-cache',
    dnsNames: ['localhost'],
    ips: ['127.0.0.1'],
    usage: 'server',
  })
  clientCert = await ca.issue('agent', { cn: 'cattail-agent', usage: 'client' })
  foreignClientCert = await otherCa.issue('foreign-agent', { cn: 'cattail-agent', usage: 'client' })
  srv = await FakeSyncServer.start({
    tls: { cert: serverCert.cert, key: serverCert.key, ca: ca.cert },
    initial: [
      { key: 'Node/a', revision: '1', value: { kind: 'Node', metadata: { name: 'a' }, spec: {} } },
    ],
  })
})

after(async () => {
  await Promise.all(clients.map((c) => c.stop()))
  await srv.stop()
  await dir.remove()
})

function client(tls: Partial<SyncClientTlsConfig>): SyncClient {
  const c = new SyncClient(
    {
      ...DEFAULT_SYNC_CLIENT_CONFIG,
      addresses: [srv.url],
      nodeName: 'node-tls',
      connectTimeoutMs: 2000,
      backoff: { initialMs: 5, maxMs: 20, factor: 2, jitter: 0 },
      tls: { ca: ca.cert, cert: clientCert.cert, key: clientCert.key, ...tls },
    },
    { onUpdates: () => undefined, onStatus: () => undefined },
    createSilentLogger()
  )
  clients.push(c)
  return c
}

async function expectConnects(c: SyncClient): Promise<void> {
  await c.start()
  await waitFor(() => c.connectionState === 'streaming' && c.state.has('Node/a'))
  await c.stop()
}

async function expectRefused(c: SyncClient): Promise<void> {
  const hellos = srv.hellos.length
  await c.start()
  await waitFor(() => c.attempts >= 3, { what: 'three failed attempts' })
  assert.notEqual(c.connectionState, 'streaming')
  assert.equal(c.state.size, 0)
  await c.stop()
  assert.equal(srv.hellos.length, hellos, 'no hello got through')
}

void describe('SyncClient TLS (server identity like Typha)', () => {
  void it('connects when the server certificate carries the expected CN', async () => {
    await expectConnects(client({ expectedServerCN: 'cattail-cache' }))
  })

  void it('connects when the URI SAN matches even though the CN does not (either is enough)', async () => {
    await expectConnects(
      client({ expectedServerCN: 'nope', expectedServerURISAN: 'spiffe://mesh.test/cattail-cache' })
    )
  })

  void it('refuses a server whose CN and URI SAN do not match', async () => {
    await expectRefused(
      client({ expectedServerCN: 'other', expectedServerURISAN: 'spiffe://mesh.test/other' })
    )
  })

  void it('refuses a server certificate from an untrusted CA', async () => {
    await expectRefused(client({ ca: otherCa.cert, expectedServerCN: 'cattail-cache' }))
  })

  void it('without CN/URI expectations checks the host name against serverName', async () => {
    await expectConnects(client({ serverName: 'localhost' }))
    await expectRefused(client({ serverName: 'wrong.example' }))
  })

  void it('is refused by a server that does not trust its client certificate', async () => {
    await expectRefused(
      client({
        cert: foreignClientCert.cert,
        key: foreignClientCert.key,
        expectedServerCN: 'cattail-cache',
      })
    )
  })
})

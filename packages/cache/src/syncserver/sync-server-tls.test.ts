import { strict as assert } from 'node:assert'
import { after, before, describe, it } from 'node:test'
import { connect as tcpConnect } from 'node:net'
import {
  makeTestCa,
  tempDir,
  waitFor,
  type TempDir,
  type TestCa,
  type TestCert,
} from '@cattail/common/testing'
import { startHarness, type Harness } from '../testing/index.js'

void describe('sync server mutual TLS (needs openssl)', () => {
  let dir: TempDir
  let ca: TestCa
  let h: Harness
  const certs: Record<string, TestCert> = {}

  before(async () => {
    dir = await tempDir('cattail-cache-tls-')
    ca = await makeTestCa(dir.path)
    const evil = await makeTestCa(dir.path, 'evil-ca')
    const server = await ca.issue('server', {
      cn: 'cattail-cache',
      dnsNames: ['localhost'],
      ips: ['127.0.0.1'],
      usage: 'server',
    })
    certs['goodCn'] = await ca.issue('good-cn', { cn: 'cattail-agent', usage: 'client' })
    certs['goodUri'] = await ca.issue('good-uri', {
      cn: 'someone',
      uriSan: 'spiffe://cattail/agent',
      usage: 'client',
    })
    certs['bad'] = await ca.issue('bad', {
      cn: 'intruder',
      uriSan: 'spiffe://cattail/intruder',
      usage: 'client',
    })
    certs['untrusted'] = await evil.issue('untrusted', { cn: 'cattail-agent', usage: 'client' })
    h = await startHarness({
      server: {
        handshakeTimeoutMs: 500,
        tls: {
          certFile: server.certFile,
          keyFile: server.keyFile,
          caFile: ca.certFile,
          allowedCNs: ['cattail-agent'],
          allowedURISANs: ['spiffe://cattail/agent'],
        },
      },
    })
    h.syncer.setStatus('in-sync')
  })
  after(async () => {
    await h.stop()
    await dir.remove()
  })

  const tryConnect = async (cert: TestCert | undefined): Promise<boolean> => {
    try {
      const c = await h.connect({
        tls: { ca: ca.cert, ...(cert !== undefined && { cert: cert.cert, key: cert.key }) },
      })
      await waitFor(() => c.status === 'in-sync' || c.closed)
      return !c.closed
    } catch {
      return false
    }
  }

  void it('accepts a good CN and a good URI SAN', async () => {
    assert.ok(h.url.startsWith('wss://'))
    assert.equal(await tryConnect(certs['goodCn']), true)
    assert.equal(await tryConnect(certs['goodUri']), true)
  })

  void it('refuses no certificate, an untrusted CA and a bad CN + URI SAN', async () => {
    const before = h.server.stats.tlsRejected
    assert.equal(await tryConnect(undefined), false)
    assert.equal(await tryConnect(certs['untrusted']), false)
    assert.equal(await tryConnect(certs['bad']), false)
    await waitFor(() => h.server.stats.tlsRejected >= before + 3, {
      what: 'rejections logged and counted',
    })
  })

  void it('closes a half-open TLS handshake at the handshake timeout', async () => {
    const raw = tcpConnect(h.server.port, '127.0.0.1')
    raw.on('error', () => undefined)
    raw.write(Buffer.from([0x16, 0x03, 0x01]))
    let closed = false
    raw.on('close', () => (closed = true))
    await waitFor(() => closed, { timeoutMs: 5000, what: 'half-open TLS socket closed' })
    assert.equal(await tryConnect(certs['goodCn']), true)
  })
})

import { strict as assert } from 'node:assert'
import { X509Certificate } from 'node:crypto'
import { copyFile } from 'node:fs/promises'
import { connect as tcpConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { after, describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { makeTestCa, tempDir, waitFor } from '@cattail/common/testing'
import type { SyncStatus } from '@cattail/model'
import { DEFAULT_SYNC_CLIENT_CONFIG, SyncClient } from '@cattail/syncproto'
import { makeWep, startHarness, type Harness } from '../testing/index.js'

/** Opens `n` idle TCP sockets from `localAddress` (another loopback address than the agent's). */
async function idleSockets(port: number, n: number, localAddress: string): Promise<Socket[]> {
  const socks: Socket[] = []
  for (let i = 0; i < n; i++) {
    const s = tcpConnect({ port, host: '127.0.0.1', localAddress })
    s.on('error', () => undefined)
    socks.push(s)
  }
  await waitFor(() => socks.every((s) => !s.connecting), { what: 'idle sockets connected' })
  return socks
}

void describe('sync server under hostile clients', () => {
  const stops: (() => Promise<void> | void)[] = []
  after(async () => {
    for (const s of stops.reverse()) await s()
  })

  void it('many idle sockets from one address are capped; a real agent client still connects', async () => {
    const h: Harness = await startHarness({
      server: { maxConnectionsPerSource: 10, maxPendingHandshakes: 50, handshakeTimeoutMs: 60_000 },
    })
    stops.push(() => h.stop())
    h.syncer.send([{ key: 'WorkloadEndpoint/default/a', value: makeWep('a') }])
    h.syncer.setStatus('in-sync')
    const flood = await idleSockets(h.server.port, 300, '127.0.0.2')
    stops.push(() => flood.forEach((s) => s.destroy()))
    await waitFor(() => h.server.stats.refusedAtAccept >= 290, { what: 'excess refused' })
    assert.equal(h.server.stats.pendingHandshakes, 10)
    const open = () => flood.filter((s) => !s.destroyed && !s.readableEnded).length
    await waitFor(() => open() === 10, { what: 'only the capped sockets stay open' })

    // The pending cap: a second flood address fills the rest of it.
    const flood2 = await idleSockets(h.server.port, 100, '127.0.0.3')
    stops.push(() => flood2.forEach((s) => s.destroy()))
    await waitFor(() => h.server.stats.pendingHandshakes === 20)

    let status: SyncStatus | undefined
    const client = new SyncClient(
      { ...DEFAULT_SYNC_CLIENT_CONFIG, addresses: [h.url], nodeName: 'agent-1' },
      {
        onSnapshotStart: () => undefined,
        onUpdates: () => undefined,
        onStatus: (s) => (status = s),
      },
      createSilentLogger()
    )
    await client.start()
    stops.push(() => client.stop())
    await waitFor(() => status === 'in-sync' && client.state.has('WorkloadEndpoint/default/a'), {
      what: 'the agent client in sync despite the flood',
    })
    const text = await h.metrics.exposition()
    assert.match(text, /cattail_cache_connections_rejected_total\{reason="per-source"\} \d+/)
  })

  void it('the pending-handshake cap closes sockets beyond it; freed slots accept again', async () => {
    const h = await startHarness({
      server: { maxPendingHandshakes: 20, handshakeTimeoutMs: 60_000 },
    })
    stops.push(() => h.stop())
    h.syncer.setStatus('in-sync')
    const flood = await idleSockets(h.server.port, 60, '127.0.0.2')
    await waitFor(
      () => h.server.stats.refusedAtAccept >= 40 && h.server.stats.pendingHandshakes === 20
    )
    for (const s of flood) s.destroy()
    await waitFor(() => h.server.stats.pendingHandshakes === 0)
    const c = await h.connect()
    await waitFor(() => c.status === 'in-sync')
    assert.equal(c.closed, false)
  })

  void it('reloads rotated TLS files without dropping connected clients (needs openssl)', async () => {
    const dir = await tempDir('cattail-cache-tls-reload-')
    stops.push(() => dir.remove())
    const ca = await makeTestCa(dir.path)
    const opts = {
      cn: 'cattail-cache',
      dnsNames: ['localhost'],
      ips: ['127.0.0.1'],
      usage: 'server' as const,
    }
    const first = await ca.issue('server', opts)
    const second = await ca.issue('server-next', opts)
    const agent = await ca.issue('agent', { cn: 'cattail-agent', usage: 'client' })
    const h = await startHarness({
      server: {
        tlsReloadIntervalMs: 50,
        tls: {
          certFile: first.certFile,
          keyFile: first.keyFile,
          caFile: ca.certFile,
          allowedCNs: ['cattail-agent'],
          allowedURISANs: [],
        },
      },
    })
    stops.push(() => h.stop())
    h.syncer.setStatus('in-sync')
    const peerFingerprint = () =>
      new Promise<string>((resolve, reject) => {
        const s = tlsConnect({
          host: '127.0.0.1',
          port: h.server.port,
          ca: ca.cert,
          cert: agent.cert,
          key: agent.key,
          servername: 'localhost',
        })
        s.once('secureConnect', () => {
          resolve(s.getPeerCertificate().fingerprint256)
          s.destroy()
        })
        s.once('error', reject)
      })
    const fp = (pem: string) => new X509Certificate(pem).fingerprint256
    assert.equal(await peerFingerprint(), fp(first.cert))
    const old = await h.connect({ tls: { ca: ca.cert, cert: agent.cert, key: agent.key } })
    await waitFor(() => old.status === 'in-sync')

    // Rotate in place: same paths, new contents.
    await copyFile(second.keyFile, first.keyFile)
    await copyFile(second.certFile, first.certFile)
    await waitFor(() => h.server.stats.tlsReloads >= 1, { what: 'TLS files reloaded' })
    await waitFor(async () => (await peerFingerprint()) === fp(second.cert), {
      what: 'a new connection sees the new certificate',
    })
    // The old connection is still up and still streaming.
    h.syncer.send([{ key: 'WorkloadEndpoint/default/after', value: makeWep('after') }])
    await waitFor(() => old.kvs.has('WorkloadEndpoint/default/after'))
    assert.equal(old.closed, false)
  })
})

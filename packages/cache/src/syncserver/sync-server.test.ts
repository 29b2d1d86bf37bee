import { strict as assert } from 'node:assert'
import { after, describe, it } from 'node:test'
import { randomBytes } from 'node:crypto'
import { connect as tcpConnect } from 'node:net'
import WebSocket from 'ws'
import { waitFor } from '@cattail/common/testing'
import {
  FEATURES,
  SUPPORTED_FEATURES,
  decodeFrame,
  encodeDeltas,
  encodeFrame,
} from '@cattail/syncproto'
import { makeWep, startHarness, type Harness, type TestClient } from '../testing/index.js'

/** True when the client holds exactly the cache's state. */
function agrees(c: TestClient, h: Harness): boolean {
  if (c.kvs.size !== h.cache.size || c.status !== h.cache.status) return false
  for (const [k, u] of c.kvs) {
    const mine = h.cache.get(k)
    if (mine === undefined || JSON.stringify(u.value) !== JSON.stringify(decodeValue(mine.blob)))
      return false
  }
  return true
}

// The cache strips resourceVersion; compare what the client got with what the cache encoded.
function decodeValue(blob: Uint8Array): unknown {
  const f = decodeFrame(encodeDeltas({ firstSeq: 1, seq: 1 }, [blob]))
  return f.type === 'deltas' ? f.updates[0]?.value : undefined
}

void describe('sync server (in-process, loopback)', () => {
  const harnesses: Harness[] = []
  after(async () => {
    await Promise.all(harnesses.map((h) => h.stop()))
  })
  const start = async (...a: Parameters<typeof startHarness>): Promise<Harness> => {
    const h = await startHarness(...a)
    harnesses.push(h)
    return h
  }

  void it('streams a snapshot, then deltas and status; a late joiner sees the same state', async () => {
    const h = await start()
    h.syncer.send([{ key: 'WorkloadEndpoint/default/a', value: makeWep('a') }])
    h.syncer.setStatus('in-sync')
    const early = await h.connect()
    await waitFor(() => early.status === 'in-sync' && early.kvs.size === 1)
    assert.equal(early.mode, 'snapshot')
    h.syncer.send([
      { key: 'WorkloadEndpoint/default/b', value: makeWep('b') },
      { key: 'WorkloadEndpoint/default/a', value: undefined },
    ])
    await waitFor(
      () =>
        early.kvs.has('WorkloadEndpoint/default/b') && !early.kvs.has('WorkloadEndpoint/default/a')
    )
    const late = await h.connect()
    await waitFor(() => late.status === 'in-sync' && agrees(late, h) && agrees(early, h))
    assert.deepEqual([...late.kvs.keys()], ['WorkloadEndpoint/default/b'])
    assert.equal(early.error, undefined)
  })

  void it('sends deflated Deltas only to clients with deltas-deflate; old clients get plain ones', async () => {
    const h = await start()
    h.syncer.setStatus('in-sync')
    const modern = await h.connect({ nodeName: 'modern' })
    const old = await h.connect({
      nodeName: 'old',
      features: SUPPORTED_FEATURES.filter((f) => f !== FEATURES.deltasDeflate),
    })
    await waitFor(() => modern.status === 'in-sync' && old.status === 'in-sync')
    for (let round = 0; round < 5; round++) {
      h.syncer.send(
        Array.from({ length: 8 }, (_, i) => ({
          key: `WorkloadEndpoint/default/z${i}`,
          value: makeWep(`z${i}`, { labels: { round: String(round) } }),
        }))
      )
      h.cache.flush() // apply now, so agreement below means the clients got this round
      await waitFor(() => agrees(modern, h) && agrees(old, h), { what: `round ${round}` })
    }
    // A tiny change (one deletion) stays plain for everyone: deflate would not pay.
    h.syncer.send([{ key: 'WorkloadEndpoint/default/z0', value: undefined }])
    h.cache.flush()
    await waitFor(() => agrees(modern, h) && agrees(old, h), { what: 'deletion' })
    assert.ok(modern.deltaFrames >= 6, `modern got ${modern.deltaFrames} frames`)
    assert.equal(modern.deflatedDeltaFrames, modern.deltaFrames - 1, 'all but the tiny frame')
    assert.ok(old.deltaFrames >= 6, `old got ${old.deltaFrames} frames`)
    assert.equal(old.deflatedDeltaFrames, 0, 'an old client never sees a deflated frame')
    assert.equal(modern.error, undefined)
    assert.equal(old.error, undefined)
  })

  void it('many clients agree with the cache after churn', async () => {
    const h = await start()
    h.syncer.setStatus('in-sync')
    const clients = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.connect({ nodeName: `n${i}` }))
    )
    for (let round = 0; round < 30; round++) {
      const batch = []
      for (let i = 0; i < 25; i++) {
        const n = (round * 7 + i * 13) % 60
        const key = `WorkloadEndpoint/default/w${n}`
        batch.push(
          (round + i) % 5 === 0
            ? { key, value: undefined }
            : { key, value: makeWep(`w${n}`, { labels: { v: String(round % 3) } }) }
        )
      }
      h.syncer.send(batch)
    }
    const late = await h.connect()
    await waitFor(() => [...clients, late].every((c) => agrees(c, h)), {
      timeoutMs: 10_000,
      what: 'clients to agree',
    })
    for (const c of clients) assert.equal(c.error, undefined)
    const received = (await h.metrics.updatesReceived.get()).values[0]?.value
    assert.equal(received, 30 * 25)
  })

  void it('malformed frames, unexpected messages and oversized frames close only that client', async () => {
    const h = await start({ server: { maxInboundBytes: 4096 } })
    h.syncer.setStatus('in-sync')
    const good = await h.connect()
    await waitFor(() => good.status === 'in-sync')

    const garbage = await h.connect({ sendHello: false })
    garbage.ws.send(Buffer.from([0x01, 0xc1, 0xff, 0x00]))
    const text = await h.connect({ sendHello: false })
    text.ws.send('hello?')
    const unexpected = await h.connect()
    await waitFor(() => unexpected.status === 'in-sync')
    unexpected.ws.send(encodeFrame({ type: 'status', status: 'in-sync', remotes: {} }))
    const big = await h.connect()
    await waitFor(() => big.status === 'in-sync')
    big.ws.send(Buffer.alloc(10_000, 7))
    const wrongFirst = await h.connect({ sendHello: false })
    wrongFirst.ws.send(encodeFrame({ type: 'pong', pingTimestampMs: 1, pongTimestampMs: 2 }))

    await waitFor(() => [garbage, text, unexpected, big, wrongFirst].every((c) => c.closed), {
      what: 'bad clients closed',
    })
    assert.equal(big.closeCode, 1009)
    assert.equal(garbage.goAway?.reason, 'protocol-error')
    h.syncer.send([{ key: 'WorkloadEndpoint/default/x', value: makeWep('x') }])
    await waitFor(() => good.kvs.has('WorkloadEndpoint/default/x'))
    assert.equal(good.closed, false)
  })

  void it('closes half-open connections at the handshake timeout; others connect meanwhile', async () => {
    const h = await start({ server: { handshakeTimeoutMs: 300 } })
    const raw = tcpConnect(h.server.port, '127.0.0.1')
    let rawClosed = false
    raw.on('close', () => (rawClosed = true))
    raw.on('error', () => undefined)
    const silentWs = await h.connect({ sendHello: false })
    const ok = await h.connect()
    await waitFor(() => ok.mode === 'snapshot')
    await waitFor(() => rawClosed && silentWs.closed, { what: 'half-open sockets closed' })
    assert.equal(h.server.stats.handshakeTimeouts, 2)
    assert.equal(ok.closed, false)
  })

  void it('drops a stalled client for lag while others keep receiving', async () => {
    const h = await start({
      server: {
        maxFallBehindMs: 200,
        newClientGraceMs: 0,
        pingIntervalMs: 50,
        pongTimeoutMs: 600_000,
        highWaterBytes: 64 * 1024,
      },
    })
    h.syncer.setStatus('in-sync')
    const stalled = await h.connect()
    const healthy = await h.connect()
    await waitFor(() => stalled.status === 'in-sync' && healthy.status === 'in-sync')
    stalled.pause()
    // Incompressible padding: deltas-deflate must not shrink the stall away.
    const pad = (): string => randomBytes(6 * 1024).toString('base64')
    let i = 0
    await waitFor(
      () => {
        const batch = Array.from({ length: 20 }, () => {
          const n = i++
          return {
            key: `WorkloadEndpoint/default/p${n % 500}`,
            value: makeWep(`p${n % 500}`, { labels: { pad: pad(), n: String(n) } }),
          }
        })
        h.syncer.send(batch)
        return (h.server.stats.closed['too-slow'] ?? 0) >= 1
      },
      { timeoutMs: 20_000, intervalMs: 20, what: 'stalled client dropped' }
    )
    await waitFor(() => agrees(healthy, h), { timeoutMs: 10_000 })
    assert.equal(healthy.closed, false)
    assert.equal(h.server.connectionCount, 1)
  })

  void it('sheds exactly N − M connections, one per interval, with GoAway shedding', async () => {
    const h = await start({
      server: { maxConnectionsUpper: 6, maxConnectionsLower: 1, replicas: 1, dropIntervalMs: 20 },
    })
    const clients = await Promise.all(Array.from({ length: 10 }, () => h.connect()))
    await waitFor(() => h.server.stats.shed >= 4, { what: '4 connections shed' })
    const ticks = h.server.stats.governorTicks
    await waitFor(() => h.server.stats.governorTicks >= ticks + 5, { what: 'more governor ticks' })
    assert.equal(h.server.stats.shed, 4)
    assert.equal(h.server.connectionCount, 6)
    await waitFor(() => clients.filter((c) => c.closed).length === 4)
    for (const c of clients.filter((x) => x.closed)) assert.equal(c.goAway?.reason, 'shedding')
  })

  void it('spreads the graceful drain over the shutdown period', async () => {
    const h = await start({ server: { shutdownTimeoutMs: 1000, shutdownMaxDropIntervalMs: 1000 } })
    const clients = await Promise.all(Array.from({ length: 5 }, () => h.connect()))
    await waitFor(() => clients.every((c) => c.mode === 'snapshot'))
    const closedAt: number[] = []
    for (const c of clients) c.ws.on('close', () => closedAt.push(performance.now()))
    const t0 = performance.now()
    const drained = h.server.drain()
    await waitFor(() => closedAt.length === 5, { timeoutMs: 5000, what: 'all clients drained' })
    await drained
    for (const c of clients) assert.equal(c.goAway?.reason, 'shutdown')
    // 950 ms / 5 = 190 ms apart: the last close comes well after the first (loose bounds).
    const span = (closedAt[4] as number) - (closedAt[0] as number)
    assert.ok(span >= 400, `drain span ${span} ms`)
    assert.ok((closedAt[4] as number) - t0 < 3000, 'drain finished within the period (+slack)')
    const sorted = [...closedAt].sort((a, b) => a - b)
    assert.deepEqual(closedAt, sorted)
  })

  void it('resumes with only the deltas since the client seq; wrong epoch or expired seq gets a snapshot', async () => {
    const h = await start({ cache: { retainBytes: 1_000_000 } })
    h.syncer.send(
      Array.from({ length: 30 }, (_, i) => ({
        key: `WorkloadEndpoint/default/r${i}`,
        value: makeWep(`r${i}`),
      }))
    )
    h.syncer.setStatus('in-sync')
    const first = await h.connect()
    await waitFor(() => first.status === 'in-sync' && first.kvs.size === 30)
    const point = first.resumePoint!
    await first.close()
    h.syncer.send([
      { key: 'WorkloadEndpoint/default/r1', value: undefined },
      { key: 'WorkloadEndpoint/default/new', value: makeWep('new') },
    ])
    await waitFor(() => h.cache.latest.seq > point.seq)

    const resumed = await h.connect({ resume: point })
    await waitFor(
      () =>
        resumed.mode !== undefined &&
        resumed.seq === h.cache.latest.seq &&
        resumed.status === 'in-sync'
    )
    assert.equal(resumed.mode, 'resume')
    assert.equal(resumed.snapshotChunks, 0)
    assert.equal(resumed.deltaKvs, 2)

    const wrongEpoch = await h.connect({ resume: { epoch: 'not-the-epoch', seq: point.seq } })
    await waitFor(() => wrongEpoch.snapshotDone)
    assert.equal(wrongEpoch.mode, 'snapshot')
    assert.ok(agrees(wrongEpoch, h))

    // Push the resume point out of the retention window (bytes), then try again.
    const pad = 'y'.repeat(20_000)
    h.syncer.send(
      Array.from({ length: 100 }, (_, i) => ({
        key: `WorkloadEndpoint/default/e${i}`,
        value: makeWep(`e${i}`, { labels: { pad } }),
      }))
    )
    await waitFor(() => h.cache.oldestRetainedSeq > point.seq, { what: 'resume point expired' })
    const expired = await h.connect({ resume: point })
    await waitFor(() => expired.snapshotDone && agrees(expired, h))
    assert.equal(expired.mode, 'snapshot')
  })

  void it('builds one snapshot encoding for several concurrent joiners', async () => {
    const h = await start()
    h.syncer.send(
      Array.from({ length: 2500 }, (_, i) => ({
        key: `WorkloadEndpoint/default/s${i}`,
        value: makeWep(`s${i}`),
      }))
    )
    assert.equal(h.server.stats.snapshotsBuilt, 0, 'nothing is built before in-sync')
    h.syncer.setStatus('in-sync')
    await waitFor(() => h.cache.status === 'in-sync')
    assert.equal(h.server.stats.snapshotsBuilt, 1, 'pre-built when the cache reaches in-sync')
    const clients = await Promise.all(Array.from({ length: 8 }, () => h.connect()))
    await waitFor(() => clients.every((c) => c.snapshotDone && c.kvs.size === 2500))
    assert.equal(h.server.stats.snapshotsBuilt, 1)
    assert.equal(h.server.stats.snapshotsReused, 8, 'every joiner took the pre-built snapshot')
    assert.ok(clients.every((c) => c.snapshotChunks === 3))
  })

  void it('answers plain HTTP with 426 and unknown syncer types with GoAway unsupported', async () => {
    const h = await start()
    const res = await fetch(`http://127.0.0.1:${h.server.port}/`)
    assert.equal(res.status, 426)
    const ws = new WebSocket(h.url, { perMessageDeflate: false })
    await new Promise((r) => ws.once('open', r))
    const got: Buffer[] = []
    ws.on('message', (d: Buffer) => got.push(d))
    ws.send(
      encodeFrame({
        type: 'client-hello',
        versions: [1],
        features: [],
        nodeName: 'n',
        syncerType: 'felix',
        clientVersion: 't',
        snapshotCompression: [],
      })
    )
    const code = await new Promise<number>((r) => ws.once('close', r))
    assert.equal(code, 1008)
    const last = decodeFrame(got[got.length - 1]!)
    assert.equal(last.type === 'go-away' && last.reason, 'unsupported')
  })
})

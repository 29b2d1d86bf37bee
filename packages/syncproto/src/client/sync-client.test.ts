import { createSilentLogger } from '@cattail/common'
import { freePort, waitFor } from '@cattail/common/testing'
import type { KVUpdate, Resource, SyncStatus } from '@cattail/model'
import { strict as assert } from 'node:assert'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { after, describe, it } from 'node:test'
import { FRAME_TYPE } from '../messages/frame-types.js'
import { FakeSyncServer } from '../testing/fake-sync-server.js'
import {
  DEFAULT_SYNC_CLIENT_CONFIG,
  type SyncClientConfig,
  type SyncConnectionState,
} from './config.js'
import { SyncClient } from './sync-client.js'

const node = (name: string, ip: string): Resource => ({
  kind: 'Node',
  metadata: { name },
  spec: { ipv4VXLANTunnelAddr: ip },
})
const put = (name: string, ip: string, revision = '1'): KVUpdate => ({
  key: `Node/${name}`,
  value: node(name, ip),
  revision,
})
const del = (name: string): KVUpdate => ({ key: `Node/${name}`, value: undefined, revision: '9' })

/** Records everything a client reports. */
class Recorder {
  readonly updates: KVUpdate[] = []
  readonly statuses: SyncStatus[] = []
  readonly states: SyncConnectionState[] = []
  snapshots = 0
  readonly callbacks = {
    onSnapshotStart: () => void this.snapshots++,
    onUpdates: (u: readonly KVUpdate[]): void => void this.updates.push(...u),
    onStatus: (s: SyncStatus) => void this.statuses.push(s),
    onConnectionChange: (s: SyncConnectionState) => void this.states.push(s),
  }
}

const servers: FakeSyncServer[] = []
const clients: SyncClient[] = []
after(async () => {
  await Promise.all(clients.map((c) => c.stop()))
  await Promise.all(servers.map((s) => s.stop()))
})

async function server(
  opts: Parameters<typeof FakeSyncServer.start>[0] = {}
): Promise<FakeSyncServer> {
  const s = await FakeSyncServer.start(opts)
  servers.push(s)
  return s
}

function client(
  addresses: string[],
  rec: Recorder,
  over: Partial<SyncClientConfig> = {},
  /** 0.99 keeps the address order as given (the shuffle swaps nothing). */
  random: () => number = Math.random
): SyncClient {
  const c = new SyncClient(
    {
      ...DEFAULT_SYNC_CLIENT_CONFIG,
      addresses,
      nodeName: 'node-a',
      connectTimeoutMs: 2000,
      readTimeoutMs: 5000,
      backoff: { initialMs: 5, maxMs: 50, factor: 2, jitter: 0 },
      ...over,
    },
    rec.callbacks,
    createSilentLogger(),
    random
  )
  clients.push(c)
  return c
}

const stateOf = (c: SyncClient): Record<string, unknown> =>
  Object.fromEntries([...c.state].map(([k, v]) => [k, v.value]))

void describe('SyncClient against a protocol peer', () => {
  void it('receives a chunked snapshot, then deltas and status', async () => {
    const srv = await server({
      initial: [put('a', '198.19.0.1'), put('b', '198.19.0.2'), put('c', '198.19.0.3')],
    })
    const rec = new Recorder()
    const c = client([srv.url], rec)
    await c.start()
    await waitFor(() => c.connectionState === 'streaming' && rec.statuses.includes('in-sync'))
    assert.equal(rec.snapshots, 1)
    assert.deepEqual(rec.updates.map((u) => u.key).sort(), ['Node/a', 'Node/b', 'Node/c'])
    srv.publish([put('d', '198.19.0.4'), del('a')])
    await waitFor(() => c.state.has('Node/d') && !c.state.has('Node/a'))
    assert.deepEqual(rec.updates.slice(3), [put('d', '198.19.0.4'), del('a')])
    assert.deepEqual(c.resumePoint, { epoch: srv.epoch, seq: srv.seq })
    assert.equal(srv.hellos[0]?.nodeName, 'node-a')
    assert.equal(srv.hellos[0]?.resume, undefined)
    await c.stop()
    assert.equal(c.connectionState, 'stopped')
  })

  void it('resumes after a drop: only missed deltas arrive, and nothing when nothing changed', async () => {
    const srv = await server({ initial: [put('a', '198.19.0.1'), put('b', '198.19.0.2')] })
    const rec = new Recorder()
    const c = client([srv.url], rec)
    await c.start()
    await waitFor(() => c.connectionState === 'streaming' && c.state.size === 2)
    const before = rec.updates.length

    srv.dropAll()
    await waitFor(() => srv.modes.length === 2 && c.connectionState === 'streaming')
    assert.equal(srv.modes[1], 'resume')
    assert.deepEqual(srv.hellos[1]?.resume, { epoch: srv.epoch, seq: 2 })
    assert.equal(rec.updates.length, before, 'an unchanged resume emits nothing')
    assert.equal(rec.snapshots, 1)

    srv.dropAll()
    srv.publishSilently([put('b', '198.19.9.9', '2'), put('c', '198.19.0.3')])
    await waitFor(() => c.state.has('Node/c'))
    assert.equal(srv.modes[2], 'resume')
    assert.deepEqual(rec.updates.slice(before), [
      put('b', '198.19.9.9', '2'),
      put('c', '198.19.0.3'),
    ])
  })

  void it('after a server restart (new epoch) diffs the snapshot and emits only real differences', async () => {
    const port = await freePort()
    const srv1 = await server({
      port,
      initial: [put('same', '198.19.0.1'), put('changed', '198.19.0.2'), put('gone', '198.19.0.3')],
    })
    const rec = new Recorder()
    const c = client([srv1.url], rec)
    await c.start()
    await waitFor(() => c.connectionState === 'streaming' && c.state.size === 3)
    const before = rec.updates.length
    await srv1.stop()
    const srv2 = await server({
      port,
      initial: [put('same', '198.19.0.1'), put('changed', '198.19.7.7'), put('new', '198.19.0.4')],
    })
    await waitFor(
      () =>
        srv2.modes.length === 1 &&
        c.connectionState === 'streaming' &&
        c.resumePoint?.epoch === srv2.epoch
    )
    assert.equal(srv2.modes[0], 'snapshot')
    assert.deepEqual(
      srv2.hellos[0]?.resume,
      { epoch: srv1.epoch, seq: 3 },
      'the client offered its resume point'
    )
    const emitted = rec.updates.slice(before)
    assert.deepEqual(
      emitted.map((u) => [u.key, u.value === undefined ? 'deleted' : 'set']).sort(),
      [
        ['Node/changed', 'set'],
        ['Node/gone', 'deleted'],
        ['Node/new', 'set'],
      ]
    )
    assert.deepEqual(stateOf(c), {
      'Node/same': node('same', '198.19.0.1'),
      'Node/changed': node('changed', '198.19.7.7'),
      'Node/new': node('new', '198.19.0.4'),
    })
  })

  void it('an unchanged snapshot after a reconnect emits zero changes', async () => {
    const srv = await server({
      initial: [put('a', '198.19.0.1'), put('b', '198.19.0.2'), put('c', '198.19.0.3')],
      resume: false,
    })
    const rec = new Recorder()
    const c = client([srv.url], rec)
    await c.start()
    await waitFor(() => c.connectionState === 'streaming' && c.state.size === 3)
    const before = rec.updates.length
    srv.dropAll()
    await waitFor(
      () =>
        srv.modes.length === 2 && c.connectionState === 'streaming' && c.resumePoint !== undefined
    )
    assert.equal(srv.modes[1], 'snapshot')
    assert.equal(rec.snapshots, 2)
    assert.equal(rec.updates.length, before)
  })

  void it('tries every address once before retrying any, and connects to the live one', async () => {
    const srv = await server({ initial: [put('a', '198.19.0.1')] })
    const dead = [`ws://127.0.0.1:${await freePort()}`, `ws://127.0.0.1:${await freePort()}`]
    const rec = new Recorder()
    const c = client([...dead, srv.url], rec, {}, () => 0.99)
    await c.start()
    await waitFor(() => c.connectionState === 'streaming')
    assert.equal(c.attempts, 3, 'both dead addresses once, then the live one')
    assert.equal(srv.connectionsAccepted, 1)
  })

  void it('reconnects when nothing arrives within the read timeout', async () => {
    const srv = await server({ initial: [put('a', '198.19.0.1')] })
    const rec = new Recorder()
    const c = client([srv.url], rec, { readTimeoutMs: 200 })
    await c.start()
    await waitFor(() => srv.modes.length >= 2, {
      timeoutMs: 5000,
      what: 'a reconnect after the read timeout',
    })
    assert.equal(srv.modes[1], 'resume')
  })

  void it('answers pings with pongs carrying the ping timestamp', async () => {
    const srv = await server()
    const rec = new Recorder()
    const c = client([srv.url], rec)
    await c.start()
    await waitFor(() => c.connectionState === 'streaming')
    srv.ping(1234)
    await waitFor(() => srv.pongs.length === 1)
    assert.equal(srv.pongs[0]?.pingTimestampMs, 1234)
  })

  void it('on GoAway reconnects to another address after the given delay', async () => {
    const a = await server({ epoch: 'shared', initial: [put('a', '198.19.0.1')] })
    const b = await server({ epoch: 'shared', initial: [put('a', '198.19.0.1')] })
    const rec = new Recorder()
    const c = client([a.url, b.url], rec)
    await c.start()
    await waitFor(() => c.connectionState === 'streaming')
    const [first, second] = a.streaming === 1 ? [a, b] : [b, a]
    const before = rec.updates.length
    first.goAway({ reason: 'shedding', reconnectAfterMs: 20 })
    await waitFor(() => second.streaming === 1)
    assert.equal(first.connectionsAccepted, 1)
    assert.equal(rec.updates.length, before, 'same data on the other server: nothing emitted')
  })

  void it('a malformed frame closes the connection and the client reconnects with its state intact', async () => {
    const srv = await server({ initial: [put('a', '198.19.0.1')] })
    const rec = new Recorder()
    const c = client([srv.url], rec)
    await c.start()
    await waitFor(() => c.connectionState === 'streaming')
    srv.broadcast(Buffer.from([FRAME_TYPE.deltas, 0xc1, 0xff, 0x00]))
    await waitFor(() => srv.modes.length === 2 && c.connectionState === 'streaming')
    assert.deepEqual(stateOf(c), { 'Node/a': node('a', '198.19.0.1') })
    srv.publish([put('b', '198.19.0.2')])
    await waitFor(() => c.state.has('Node/b'))
  })

  void it('ignores unknown frame types from a newer server', async () => {
    const srv = await server()
    const rec = new Recorder()
    const c = client([srv.url], rec)
    await c.start()
    await waitFor(() => c.connectionState === 'streaming')
    srv.broadcast(Buffer.from([0x7e, 1, 2, 3]))
    srv.publish([put('x', '198.19.0.9')])
    await waitFor(() => c.state.has('Node/x'))
    assert.equal(srv.connectionsAccepted, 1)
  })

  void it('a seq gap drops the resume point and recovers through a snapshot', async () => {
    const srv = await server({ initial: [put('a', '198.19.0.1')] })
    const rec = new Recorder()
    const c = client([srv.url], rec)
    await c.start()
    await waitFor(() => c.connectionState === 'streaming')
    srv.publishSilently([put('lost', '198.19.0.5')]) // seq 2 never sent
    srv.publish([put('b', '198.19.0.2')]) // firstSeq 3: a gap
    await waitFor(() => srv.modes.length === 2 && c.state.has('Node/lost') && c.state.has('Node/b'))
    assert.equal(srv.modes[1], 'snapshot')
    assert.equal(srv.hellos[1]?.resume, undefined)
  })

  void it('gives up on a server that accepts TCP but never answers (connect timeout)', async () => {
    const sockets: Socket[] = []
    const silent = createServer((sock) => void sockets.push(sock))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as AddressInfo).port
    try {
      const srv = await server({ initial: [put('a', '198.19.0.1')] })
      const rec = new Recorder()
      const c = client(
        [`ws://127.0.0.1:${port}`, srv.url],
        rec,
        { connectTimeoutMs: 400 },
        () => 0.99
      )
      await c.start()
      await waitFor(() => c.connectionState === 'streaming' && c.state.has('Node/a'))
      assert.ok(c.attempts >= 2 && sockets.length >= 1, 'the silent server was tried first')
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  void it('a frame over maxFrameBytes closes the connection; the client keeps retrying and its state', async () => {
    const srv = await server({ initial: [put('a', '198.19.0.1')] })
    const rec = new Recorder()
    const c = client([srv.url], rec, { maxFrameBytes: 4096 })
    await c.start()
    await waitFor(() => c.connectionState === 'streaming')
    srv.broadcast(Buffer.alloc(10_000, 0x04))
    await waitFor(() => srv.modes.length === 2 && c.connectionState === 'streaming')
    assert.ok(c.state.has('Node/a'))
  })

  void it('a consumer callback that throws is logged and does not break the stream', async () => {
    const srv = await server()
    const seen: string[] = []
    const rec = new Recorder()
    rec.callbacks.onUpdates = (u) => {
      seen.push(...u.map((x) => x.key))
      throw new Error('consumer bug')
    }
    const c = client([srv.url], rec)
    await c.start()
    await waitFor(() => c.connectionState === 'streaming')
    srv.publish([put('a', '198.19.0.1')])
    srv.publish([put('b', '198.19.0.2')])
    await waitFor(() => seen.length === 2)
    assert.equal(srv.connectionsAccepted, 1)
  })

  void it('keeps retrying when the server rejects the handshake', async () => {
    const srv = await server()
    const rec = new Recorder()
    const c = client([srv.url], rec, { syncerType: 'felix' })
    await c.start()
    await waitFor(() => srv.hellos.length >= 3)
    assert.deepEqual(srv.modes, [])
    assert.notEqual(c.connectionState, 'streaming')
  })

  void it('tells the server why it leaves: GoAway shutdown on stop, protocol-error on a bad frame', async () => {
    const srv = await server()
    const rec = new Recorder()
    const c = client([srv.url], rec)
    await c.start()
    await waitFor(() => c.connectionState === 'streaming')
    srv.broadcast(Buffer.from([FRAME_TYPE.ping, 0xc1]))
    // the second accepted connection: until the first one's close completes the client still
    // says 'streaming' about it, and stop() would then find it already closing (no GoAway)
    await waitFor(
      () =>
        srv.clientGoAways.length === 1 &&
        srv.connectionsAccepted === 2 &&
        c.connectionState === 'streaming' &&
        srv.streaming === 1
    )
    assert.equal(srv.clientGoAways[0]?.reason, 'protocol-error')
    await c.stop()
    await waitFor(() => srv.clientGoAways.length === 2)
    assert.equal(srv.clientGoAways[1]?.reason, 'shutdown')
  })

  void it('rejects an invalid config with every problem listed', () => {
    assert.throws(
      () => client(['http://x', 'wss://y'], new Recorder(), { readTimeoutMs: 0 }),
      (err: Error) =>
        /http:\/\/x/.test(err.message) &&
        /wss:\/\/y/.test(err.message) &&
        /readTimeoutMs/.test(err.message)
    )
  })
})

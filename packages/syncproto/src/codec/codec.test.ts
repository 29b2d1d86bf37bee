import type { KVUpdate, Resource } from '@cattail/model'
import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { deflateRawSync } from 'node:zlib'
import { FrameTooLargeError, ProtocolError } from '../errors.js'
import { FRAME_TYPE } from '../messages/frame-types.js'
import type { Message } from '../messages/types.js'
import { decodeFrame } from './decode.js'
import { encodeDeltas } from './deltas.js'
import { encodeFrame } from './encode.js'
import { GOLDEN_FRAMES, GOLDEN_FRAME_OPTIONS } from './golden-cases.js'
import { encodeKv, encodeKvs } from './kv.js'
import { packTransient } from './msgpack.js'
import { encodeSnapshotChunks, encodeSnapshotChunksAsync, planSnapshotChunks } from './snapshot.js'

/** Small deterministic PRNG (mulberry32) so property tests are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789-./:é漢😀'
function randStr(r: () => number, max = 20): string {
  const n = Math.floor(r() * max) + 1
  let s = ''
  for (let i = 0; i < n; i++) s += [...ALPHABET][Math.floor(r() * [...ALPHABET].length)]
  return s
}

function randKv(r: () => number, allowDelete = true): KVUpdate {
  const key = `WorkloadEndpoint/${randStr(r)}/${randStr(r)}`
  const revision = String(Math.floor(r() * 1e12))
  if (allowDelete && r() < 0.2) return { key, revision, value: undefined }
  const labels: Record<string, string> = {}
  for (let i = Math.floor(r() * 5); i > 0; i--) labels[randStr(r, 8)] = randStr(r)
  const value = {
    kind: 'WorkloadEndpoint',
    metadata: { name: randStr(r), namespace: randStr(r, 8), labels },
    spec: {
      orchestrator: 'k8s',
      node: randStr(r),
      endpoint: 'eth0',
      ipNetworks: [`198.19.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}/32`],
      profiles: [randStr(r)],
      ports: r() < 0.5 ? [{ name: 'http', protocol: 'TCP', port: Math.floor(r() * 65536) }] : [],
    },
  } as Resource
  return { key, revision, value }
}

const isCodecError = (err: unknown): boolean =>
  err instanceof ProtocolError || err instanceof FrameTooLargeError

function assertDecodeFails(buf: Buffer, what: string): void {
  assert.throws(
    () => decodeFrame(buf),
    (err) => isCodecError(err),
    `${what}: expected ProtocolError or FrameTooLargeError`
  )
}

void describe('codec round trips', () => {
  void it('random deltas frames decode to what was encoded', () => {
    const r = rng(1)
    for (let i = 0; i < 200; i++) {
      const updates = Array.from({ length: Math.floor(r() * 20) }, () => randKv(r))
      const firstSeq = Math.floor(r() * 2 ** 40)
      const msg: Message = { type: 'deltas', firstSeq, seq: firstSeq + updates.length, updates }
      assert.deepEqual(decodeFrame(encodeFrame(msg)), msg)
      assert.deepEqual(decodeFrame(encodeFrame(msg, { deltasCompression: 'deflate' })), msg)
    }
  })

  void it('a deflated deltas frame says so in its header and carries the same KVs', () => {
    const r = rng(11)
    const blobs = encodeKvs(Array.from({ length: 10 }, () => randKv(r)))
    const plain = encodeDeltas({ firstSeq: 5, seq: 7 }, blobs)
    const deflated = encodeDeltas({ firstSeq: 5, seq: 7 }, blobs, 'deflate')
    assert.deepEqual(decodeFrame(deflated), decodeFrame(plain))
    assert.equal(deflated[0], FRAME_TYPE.deltas)
    assert.ok(deflated.includes(Buffer.from('compression')), 'header names the compression')
    assert.ok(!plain.includes(Buffer.from('compression')), 'plain frames are unchanged')
  })

  void it('random snapshots survive chunking and deflate in order', async () => {
    const r = rng(2)
    for (let i = 0; i < 30; i++) {
      const kvs = Array.from({ length: Math.floor(r() * 300) }, () => randKv(r, false))
      const blobs = encodeKvs(kvs)
      const opts = {
        seq: i,
        maxChunkBytes: 1 + Math.floor(r() * 4000),
        maxChunkItems: 1 + Math.floor(r() * 50),
        compression: r() < 0.5 ? ('deflate' as const) : ('none' as const),
      }
      const sync = encodeSnapshotChunks(blobs, opts)
      const async = await encodeSnapshotChunksAsync(blobs, opts)
      assert.deepEqual(async, sync, 'async and sync encoders give identical bytes')
      const got: KVUpdate[] = []
      sync.forEach((frame, index) => {
        const m = decodeFrame(frame)
        assert.equal(m.type, 'snapshot-chunk')
        if (m.type !== 'snapshot-chunk') return
        assert.equal(m.seq, i)
        assert.equal(m.index, index)
        assert.equal(m.last, index === sync.length - 1)
        assert.ok(m.updates.length <= opts.maxChunkItems)
        got.push(...m.updates)
      })
      assert.deepEqual(got, kvs)
    }
  })

  void it('an empty snapshot is one empty last chunk', () => {
    const frames = encodeSnapshotChunks([], {
      seq: 5,
      maxChunkBytes: 10,
      maxChunkItems: 10,
      compression: 'deflate',
    })
    assert.equal(frames.length, 1)
    assert.deepEqual(decodeFrame(frames[0]!), {
      type: 'snapshot-chunk',
      seq: 5,
      index: 0,
      last: true,
      updates: [],
    })
  })

  void it('planSnapshotChunks respects bytes and items, and gives an oversize blob its own chunk', () => {
    const blobs = [10, 10, 10, 50, 10].map((n) => Buffer.alloc(n))
    assert.deepEqual(planSnapshotChunks(blobs, { maxChunkBytes: 25, maxChunkItems: 10 }), [
      [0, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ])
    assert.deepEqual(planSnapshotChunks(blobs, { maxChunkBytes: 1000, maxChunkItems: 2 }), [
      [0, 2],
      [2, 4],
      [4, 5],
    ])
  })

  void it('encodeDeltas copies the stored blobs verbatim (no re-encoding)', () => {
    const r = rng(3)
    const blobs = encodeKvs([randKv(r), randKv(r), randKv(r)])
    const frame = encodeDeltas({ firstSeq: 1, seq: 3 }, blobs)
    const tail = Buffer.concat(blobs)
    assert.ok(frame.subarray(frame.length - tail.length).equals(tail))
    assert.equal(frame[0], FRAME_TYPE.deltas)
  })

  void it('encodeKv blobs own their memory', () => {
    const a = encodeKv(randKv(rng(4), false))
    const b = encodeKv(randKv(rng(5), false))
    assert.notEqual(a.buffer, b.buffer)
    assert.equal(a.byteOffset, 0)
    assert.equal(a.buffer.byteLength, a.length)
  })

  void it('encodeDeltas rejects an inverted seq range', () => {
    assert.throws(() => encodeDeltas({ firstSeq: 5, seq: 4 }, []), RangeError)
  })

  void it('unknown frame types decode as unknown, not as errors', () => {
    assert.deepEqual(decodeFrame(Buffer.from([0x7f, 1, 2, 3])), { type: 'unknown', typeCode: 0x7f })
  })

  void it('unknown fields are ignored and unknown go-away reasons become "other"', () => {
    const payload = packTransient({ reason: 'moon-phase', extra: [1, 2], reconnectAfterMs: 5 })
    const frame = Buffer.concat([Buffer.from([FRAME_TYPE['go-away']]), payload])
    assert.deepEqual(decodeFrame(frame), { type: 'go-away', reason: 'other', reconnectAfterMs: 5 })
  })
})

void describe('codec rejects bad frames with typed errors', () => {
  void it('an empty frame is a ProtocolError', () => {
    assert.throws(
      () => decodeFrame(Buffer.alloc(0)),
      (e) => e instanceof ProtocolError && e.code === 'ERR_PROTOCOL'
    )
  })

  void it('every truncation of every golden frame is rejected', () => {
    for (const [name, msg] of Object.entries(GOLDEN_FRAMES)) {
      const frame = encodeFrame(msg, GOLDEN_FRAME_OPTIONS[name])
      for (let n = 1; n < frame.length; n++)
        assertDecodeFails(frame.subarray(0, n), `${name}[0:${n}]`)
    }
  })

  void it('random garbage and bit flips never escape as anything but codec errors', () => {
    const r = rng(6)
    const frames = Object.values(GOLDEN_FRAMES).flatMap((m) => [
      encodeFrame(m, { snapshotCompression: 'deflate' }),
      encodeFrame(m, { deltasCompression: 'deflate' }),
    ])
    for (let i = 0; i < 5000; i++) {
      let buf: Buffer
      if (i % 2 === 0) {
        buf = Buffer.from(
          Array.from({ length: Math.floor(r() * 64) + 1 }, () => Math.floor(r() * 256))
        )
        buf[0] = 1 + Math.floor(r() * 8) // aim at known types
      } else {
        buf = Buffer.from(frames[i % frames.length]!)
        for (let f = 0; f < 3; f++) {
          const pos = 1 + Math.floor(r() * (buf.length - 1))
          buf[pos] = (buf[pos] as number) ^ (1 << Math.floor(r() * 8))
        }
      }
      try {
        decodeFrame(buf)
      } catch (err) {
        assert.ok(isCodecError(err), `unexpected ${String(err)} for ${buf.toString('hex')}`)
      }
    }
  })

  void it('wrong field types are ProtocolErrors', () => {
    const bad = (type: number, body: unknown): Buffer =>
      Buffer.concat([Buffer.from([type]), packTransient(body)])
    const cases: Array<[string, Buffer]> = [
      ['ping timestamp string', bad(FRAME_TYPE.ping, { timestampMs: 'now' })],
      ['status unknown value', bad(FRAME_TYPE.status, { status: 'sleeping', remotes: {} })],
      [
        'status remote bad state',
        bad(FRAME_TYPE.status, { status: 'in-sync', remotes: { b: { status: 'Up' } } }),
      ],
      [
        'hello negative version',
        bad(FRAME_TYPE['client-hello'], {
          versions: [-1],
          features: [],
          nodeName: 'n',
          syncerType: 'mesh',
          clientVersion: '1',
          snapshotCompression: [],
        }),
      ],
      [
        'server hello bad mode',
        bad(FRAME_TYPE['server-hello'], {
          ...GOLDEN_FRAMES['server-hello'],
          type: undefined,
          mode: 'teleport',
        }),
      ],
      ['payload is an array', bad(FRAME_TYPE.ping, [1, 2])],
      ['deltas header not a map', bad(FRAME_TYPE.deltas, 5)],
      [
        'deltas count too small',
        Buffer.concat([
          Buffer.from([FRAME_TYPE.deltas]),
          packTransient({ firstSeq: 1, seq: 1, count: 0 }),
          encodeKv({ key: 'Node/a', revision: '1', value: undefined }),
        ]),
      ],
      ['deltas count too big', bad(FRAME_TYPE.deltas, { firstSeq: 1, seq: 1, count: 2 })],
      ['deltas seq before firstSeq', bad(FRAME_TYPE.deltas, { firstSeq: 3, seq: 1, count: 0 })],
      [
        'kv not an array',
        Buffer.concat([
          Buffer.from([FRAME_TYPE.deltas]),
          packTransient({ firstSeq: 1, seq: 1, count: 1 }),
          packTransient({ key: 'x' }),
        ]),
      ],
      [
        'kv value without kind',
        Buffer.concat([
          Buffer.from([FRAME_TYPE.deltas]),
          packTransient({ firstSeq: 1, seq: 1, count: 1 }),
          packTransient(['Node/a', '1', { metadata: { name: 'a' } }]),
        ]),
      ],
      [
        'kv empty key',
        Buffer.concat([
          Buffer.from([FRAME_TYPE.deltas]),
          packTransient({ firstSeq: 1, seq: 1, count: 1 }),
          packTransient(['', '1', null]),
        ]),
      ],
    ]
    for (const [name, frame] of cases) {
      assert.throws(() => decodeFrame(frame), ProtocolError, name)
    }
  })

  void it('a snapshot chunk with a deletion is a ProtocolError', () => {
    const raw = encodeKv({ key: 'Node/a', revision: '1', value: undefined })
    const frame = Buffer.concat([
      Buffer.from([FRAME_TYPE['snapshot-chunk']]),
      packTransient({
        seq: 1,
        index: 0,
        last: true,
        count: 1,
        compression: 'none',
        rawBytes: raw.length,
      }),
      raw,
    ])
    assert.throws(
      () => decodeFrame(frame),
      (e) => e instanceof ProtocolError && e.reason === 'bad-kv'
    )
  })

  void it('a chunk whose inflated size differs from rawBytes is a ProtocolError', () => {
    const raw = encodeKv({
      key: 'Node/a',
      revision: '1',
      value: { kind: 'Node', metadata: { name: 'a' }, spec: {} },
    })
    const frame = Buffer.concat([
      Buffer.from([FRAME_TYPE['snapshot-chunk']]),
      packTransient({
        seq: 1,
        index: 0,
        last: true,
        count: 1,
        compression: 'deflate',
        rawBytes: raw.length - 1,
      }),
      deflateRawSync(raw),
    ])
    assert.throws(
      () => decodeFrame(frame),
      (e) => e instanceof ProtocolError && e.reason === 'bad-compression'
    )
  })
})

void describe('codec limits', () => {
  const limits = { maxFrameBytes: 1000, maxKvsPerFrame: 3 }

  void it('a frame over maxFrameBytes is a FrameTooLargeError before any decoding', () => {
    const frame = Buffer.alloc(1001, 0xc1)
    assert.throws(
      () => decodeFrame(frame, limits),
      (e) => e instanceof FrameTooLargeError && e.what === 'bytes'
    )
  })

  void it('a deltas frame with too many KVs is a FrameTooLargeError', () => {
    const r = rng(7)
    const frame = encodeDeltas(
      { firstSeq: 1, seq: 4 },
      encodeKvs([1, 2, 3, 4].map(() => randKv(r)))
    )
    assert.throws(
      () => decodeFrame(frame, { ...limits, maxFrameBytes: 1e6 }),
      (e) => e instanceof FrameTooLargeError && e.what === 'items'
    )
  })

  void it('a snapshot chunk that inflates past the limit (a deflate bomb) is refused', () => {
    const raw = Buffer.alloc(10_000_000) // 10 MB of zeros → ~10 KB deflated
    const honest = Buffer.concat([
      Buffer.from([FRAME_TYPE['snapshot-chunk']]),
      packTransient({
        seq: 1,
        index: 0,
        last: true,
        count: 1,
        compression: 'deflate',
        rawBytes: raw.length,
      }),
      deflateRawSync(raw),
    ])
    assert.throws(
      () => decodeFrame(honest, { maxFrameBytes: 1_000_000, maxKvsPerFrame: 10 }),
      (e) => e instanceof FrameTooLargeError && e.what === 'raw-bytes'
    )
    const lying = Buffer.concat([
      Buffer.from([FRAME_TYPE['snapshot-chunk']]),
      packTransient({
        seq: 1,
        index: 0,
        last: true,
        count: 1,
        compression: 'deflate',
        rawBytes: 100,
      }),
      deflateRawSync(raw),
    ])
    assert.throws(
      () => decodeFrame(lying, { maxFrameBytes: 1_000_000, maxKvsPerFrame: 10 }),
      (e) => e instanceof ProtocolError && e.reason === 'bad-compression'
    )
  })

  void it('a deflated deltas frame that lies about or exceeds its raw size is refused', () => {
    const raw = Buffer.alloc(10_000_000) // 10 MB of zeros → ~10 KB deflated
    const frame = (rawBytes: number): Buffer =>
      Buffer.concat([
        Buffer.from([FRAME_TYPE.deltas]),
        packTransient({ firstSeq: 1, seq: 1, count: 1, compression: 'deflate', rawBytes }),
        deflateRawSync(raw),
      ])
    const lim = { maxFrameBytes: 1_000_000, maxKvsPerFrame: 10 }
    assert.throws(
      () => decodeFrame(frame(raw.length), lim),
      (e) => e instanceof FrameTooLargeError && e.what === 'raw-bytes'
    )
    assert.throws(
      () => decodeFrame(frame(100), lim),
      (e) => e instanceof ProtocolError && e.reason === 'bad-compression'
    )
    const unknown = Buffer.concat([
      Buffer.from([FRAME_TYPE.deltas]),
      packTransient({ firstSeq: 1, seq: 1, count: 0, compression: 'zstd', rawBytes: 0 }),
    ])
    assert.throws(
      () => decodeFrame(unknown),
      (e) => e instanceof ProtocolError
    )
  })

  void it('a snapshot chunk with too many KVs is a FrameTooLargeError', () => {
    const r = rng(8)
    const [frame] = encodeSnapshotChunks(encodeKvs([1, 2, 3, 4].map(() => randKv(r, false))), {
      seq: 1,
      maxChunkBytes: 1e6,
      maxChunkItems: 10,
      compression: 'deflate',
    })
    assert.throws(
      () => decodeFrame(frame!, { maxFrameBytes: 1e6, maxKvsPerFrame: 3 }),
      (e) => e instanceof FrameTooLargeError && e.what === 'items'
    )
  })
})

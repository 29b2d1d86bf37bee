import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { encodeDeltas, encodeKv } from '@cattail/syncproto'
import { makeWep } from '@cattail/cache/testing'
import { DeltasInflateMemo, peekDeltas } from './deltas-peek.js'

const blob = (name: string, ts: string): Uint8Array =>
  encodeKv({
    key: `WorkloadEndpoint/default/${name}`,
    value: makeWep(name, { labels: { ts, pad: 'p'.repeat(200) } }),
    revision: '3',
  })

void describe('peekDeltas', () => {
  void it('reads seq and the first KV timestamp of plain and deflated frames alike', () => {
    const blobs = [blob('a', '1700000000123.5'), blob('b', '1700000000999.0')]
    const memo = new DeltasInflateMemo()
    for (const compression of ['none', 'deflate'] as const) {
      const frame = encodeDeltas({ firstSeq: 40, seq: 41 }, blobs, compression)
      assert.deepEqual(peekDeltas(frame, true, 'ts', memo), {
        seq: 41,
        firstTs: 1700000000123.5,
      })
    }
    assert.equal(memo.inflated, 1)
  })

  void it('inflates identical bytes once, and different bytes with the same seq separately', () => {
    const memo = new DeltasInflateMemo()
    const one = encodeDeltas({ firstSeq: 7, seq: 7 }, [blob('a', '1000.5')], 'deflate')
    const copy = Buffer.from(one)
    // Another frame with the same seq and size: only the bytes differ.
    const candidates = Array.from({ length: 50 }, (_, i) => `${2000 + i * 37}.5`)
    const otherTs = candidates.find(
      (ts) =>
        encodeDeltas({ firstSeq: 7, seq: 7 }, [blob('a', ts)], 'deflate').length === one.length
    )
    assert.ok(otherTs !== undefined)
    const other = encodeDeltas({ firstSeq: 7, seq: 7 }, [blob('a', otherTs)], 'deflate')
    assert.equal(peekDeltas(one, true, 'ts', memo).firstTs, 1000.5)
    assert.equal(peekDeltas(copy, true, 'ts', memo).firstTs, 1000.5)
    assert.equal(peekDeltas(other, true, 'ts', memo).firstTs, Number(otherTs))
    assert.deepEqual({ inflated: memo.inflated, hits: memo.hits }, { inflated: 2, hits: 1 })
  })

  void it('gives no timestamp for a partial deflated frame or a corrupt one, never throws', () => {
    const memo = new DeltasInflateMemo()
    const frame = encodeDeltas({ firstSeq: 1, seq: 2 }, [blob('a', '5.5')], 'deflate')
    assert.deepEqual(peekDeltas(frame, false, 'ts', memo), { seq: 2, firstTs: undefined })
    const bad = Buffer.from(frame)
    bad.fill(0xff, bad.length - 20)
    assert.equal(peekDeltas(bad, true, 'ts', memo).firstTs, undefined)
    assert.ok(Number.isNaN(peekDeltas(Buffer.from([4, 0xc1]), true, 'ts', memo).seq))
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { decodeFrame, encodeDeltas, encodeKv } from '@cattail/syncproto'
import { makeWep } from '@cattail/cache/testing'
import { MsgpackPeek } from './msgpack-peek.js'

void describe('MsgpackPeek', () => {
  void it('reads a Deltas header seq and a label of the first KV, skipping everything else', () => {
    const v = makeWep('a', { labels: { z: 'first', ts: '1234.5', n: 'x'.repeat(300) } })
    const frame = encodeDeltas({ firstSeq: 70000, seq: 4_000_000_000 }, [
      encodeKv({
        key: 'WorkloadEndpoint/a-namespace-name-longer-than-31/a',
        value: { ...v, spec: { ...v.spec, ports: [{ name: 'p', protocol: 'TCP', port: 65535 }] } },
        revision: '9',
      }),
      encodeKv({ key: 'WorkloadEndpoint/default/b', value: undefined, revision: '10' }),
    ])
    assert.equal(decodeFrame(frame).type, 'deltas')
    const h = new MsgpackPeek(frame, 1)
    h.mapLength()
    assert.equal(h.strIs(Buffer.from('firstSeX')), false, 'same length, other bytes')
    h.skip()
    assert.equal(h.strIs(Buffer.from('se')), false, 'other length')
    assert.equal(h.num(), 4_000_000_000, 'strIs moved past the string either way')
    const p = new MsgpackPeek(frame, 1)
    assert.ok(p.find(p.mapLength(), 'seq'))
    assert.equal(p.num(), 4_000_000_000)
    p.pos = 1
    p.skip() // header
    assert.equal(p.arrayLength(), 3)
    const keyStart = p.pos
    assert.equal(p.str(), 'WorkloadEndpoint/a-namespace-name-longer-than-31/a')
    p.pos = keyStart
    p.skip() // a str8 key
    p.skip()
    assert.ok(p.find(p.mapLength(), 'metadata'))
    assert.ok(p.find(p.mapLength(), 'labels'))
    assert.ok(p.find(p.mapLength(), 'ts'))
    assert.equal(p.str(), '1234.5')
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import * as wsModule from 'ws'
import { WsFrames, wsBinaryFrame } from './ws-frame.js'

/** ws's own framing (exported at runtime, absent from @types/ws). */
interface SenderStatic {
  frame(
    data: Buffer,
    o: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }
  ): Buffer[]
}
const Sender = (wsModule as unknown as { Sender: SenderStatic }).Sender

/** What ws itself writes for a server binary frame (header, then payload). */
function wsReference(payload: Buffer): Buffer {
  const list = Sender.frame(payload, {
    fin: true,
    opcode: 2,
    mask: false,
    readOnly: false,
    rsv1: false,
  })
  return Buffer.concat(list)
}

void describe('wsBinaryFrame', () => {
  void it('matches the bytes ws writes, at every header-length boundary', () => {
    for (const len of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
      const payload = Buffer.alloc(len, 0xab)
      assert.deepEqual(wsBinaryFrame(payload), wsReference(payload), `length ${len}`)
    }
  })

  void it('builds a shared payload once', () => {
    const frames = new WsFrames()
    const p = Buffer.from([4, 1, 2, 3])
    assert.equal(frames.of(p), frames.of(p))
    assert.notEqual(frames.of(Buffer.from(p)), frames.of(p))
  })

  void it('adopt keeps one copy: the payload is a view inside its frame', () => {
    const frames = new WsFrames()
    const chunk = Buffer.alloc(70_000, 7)
    const payload = frames.adopt(chunk)
    const framed = frames.of(payload)
    assert.equal(payload.buffer, framed.buffer, 'same memory')
    assert.deepEqual(framed, wsBinaryFrame(chunk))
    assert.deepEqual(payload, chunk)
  })
})

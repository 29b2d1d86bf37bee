import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { makeWep } from '../testing/resources.js'
import { Breadcrumb } from '../snapcache/breadcrumb.js'
import { encodeCachedKv } from '../snapcache/kv-encoding.js'
import { FRAME_MEMO_MS, SharedFrames } from './shared-frames.js'
import { WsFrames } from './ws-frame.js'

const crumb = (seq: number, timestampMs: number): Breadcrumb =>
  new Breadcrumb({
    seq,
    timestampMs,
    deltas: [
      encodeCachedKv({
        key: `WorkloadEndpoint/default/w${seq}`,
        value: makeWep(`w${seq}`),
        revision: String(seq),
      }),
    ],
    status: 'in-sync',
    remotes: new Map(),
    kvCount: seq,
  })

void describe('SharedFrames', () => {
  void it('memoises a crumb frame while it is recent, keeps one framed copy, then forgets it', () => {
    const wsFrames = new WsFrames()
    const frames = new SharedFrames(wsFrames)
    const c1 = crumb(1, 1_000_000)
    const f1 = frames.deltasOf(c1)
    assert.equal(frames.deltasOf(c1), f1, 'shared while recent')
    assert.equal(frames.deltaBuilds, 1)
    assert.equal(wsFrames.of(f1).buffer, f1.buffer, 'the payload is a view into its frame')
    frames.deltasOf(crumb(2, 1_000_000 + FRAME_MEMO_MS / 2))
    assert.equal(frames.deltasOf(c1), f1, 'still within the memo time')
    frames.deltasOf(crumb(3, 1_000_000 + FRAME_MEMO_MS + 1))
    const again = frames.deltasOf(c1)
    assert.notEqual(again, f1, 'built again after the memo time')
    assert.deepEqual(again, f1, 'the same bytes')
  })
})

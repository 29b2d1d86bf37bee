import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
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

  void it('holds no crumb: a memoised crumb and its successors can be collected while nobody asks for frames', async () => {
    setFlagsFromString('--expose_gc')
    const gc = runInNewContext('gc') as () => void
    const frames = new SharedFrames()
    // The chain is built in its own scope: afterwards only the memo could hold it.
    const ref = ((): WeakRef<Breadcrumb> => {
      const first = crumb(1, 1_000_000)
      frames.deltasOf(first)
      let last = first
      for (let seq = 2; seq < 50; seq++) {
        const next = crumb(seq, 1_000_000 + seq)
        last.link(next)
        last = next
      }
      return new WeakRef(first)
    })()
    for (let i = 0; i < 5 && ref.deref() !== undefined; i++) {
      await new Promise((r) => setImmediate(r))
      gc()
    }
    assert.equal(ref.deref(), undefined, 'the memo kept its crumb alive')
  })
})

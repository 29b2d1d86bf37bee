import type { KVUpdate } from '@cattail/model'
import { strict as assert } from 'node:assert'
import { hash } from 'node:crypto'
import { describe, it } from 'node:test'
import { ProtocolError } from '../errors.js'
import { AddressRotation } from './address-rotation.js'
import { DIGEST_LENGTH, SyncState, heldRevision, valueDigest } from './sync-state.js'

const put = (name: string, ip: string, revision = '1'): KVUpdate => ({
  key: `Node/${name}`,
  value: { kind: 'Node', metadata: { name }, spec: { ipv4VXLANTunnelAddr: ip } },
  revision,
})

function snapshot(st: SyncState, epoch: string, seq: number, kvs: KVUpdate[]): KVUpdate[] {
  st.beginSnapshot()
  const out = st.applySnapshotChunk(kvs)
  return [...out, ...st.finishSnapshot(epoch, seq)]
}

void describe('SyncState', () => {
  void it('stores and reports projected KVs; a change only in dropped fields is no change', () => {
    // Keeps the tunnel address, drops everything else.
    const st = new SyncState((u) => ({
      ...u,
      value: u.value && {
        kind: 'Node',
        metadata: { name: u.value.metadata.name },
        spec: {
          ipv4VXLANTunnelAddr: (u.value.spec as { ipv4VXLANTunnelAddr?: string })
            .ipv4VXLANTunnelAddr,
        },
      },
    }))
    const withLabel = (name: string, ip: string, label: string): KVUpdate => ({
      key: `Node/${name}`,
      value: {
        kind: 'Node',
        metadata: { name, labels: { l: label } },
        spec: { ipv4VXLANTunnelAddr: ip },
      },
      revision: '1',
    })
    assert.deepEqual(snapshot(st, 'e', 1, [withLabel('a', '1', 'x')]), [put('a', '1')])
    assert.deepEqual(st.kvs.get('Node/a'), put('a', '1'))
    assert.deepEqual(st.applyDeltas(2, 2, [withLabel('a', '1', 'y')]), [])
    assert.deepEqual(st.applyDeltas(3, 3, [withLabel('a', '2', 'y')]), [put('a', '2')])
  })

  void it('the first snapshot emits every key and sets the resume point', () => {
    const st = new SyncState()
    assert.deepEqual(snapshot(st, 'e', 5, [put('a', '1'), put('b', '2')]), [
      put('a', '1'),
      put('b', '2'),
    ])
    assert.deepEqual(st.resumePoint, { epoch: 'e', seq: 5 })
  })

  void it('a second snapshot emits only changes, additions and synthesised deletions (last)', () => {
    const st = new SyncState()
    snapshot(st, 'e', 5, [put('same', '1'), put('changed', '2'), put('gone', '3')])
    const out = snapshot(st, 'f', 9, [
      put('same', '1', 'other-revision'),
      put('changed', '9'),
      put('new', '4'),
    ])
    assert.deepEqual(out, [
      put('changed', '9'),
      put('new', '4'),
      { key: 'Node/gone', value: undefined, revision: '1' },
    ])
    assert.equal(
      st.kvs.get('Node/same')?.revision,
      'other-revision',
      'revision-only change stored silently'
    )
  })

  void it('an identical snapshot emits nothing', () => {
    const st = new SyncState()
    snapshot(st, 'e', 5, [put('a', '1'), put('b', '2')])
    assert.deepEqual(snapshot(st, 'e2', 6, [put('b', '2'), put('a', '1')]), [])
  })

  void it('deltas must continue exactly after the held seq', () => {
    const st = new SyncState()
    snapshot(st, 'e', 5, [])
    assert.deepEqual(st.applyDeltas(6, 7, [put('a', '1'), put('a', '1')]), [put('a', '1')])
    assert.deepEqual(st.resumePoint, { epoch: 'e', seq: 7 })
    assert.throws(
      () => st.applyDeltas(9, 9, []),
      (e) => e instanceof ProtocolError && e.reason === 'seq-gap'
    )
    assert.equal(st.resumePoint, undefined, 'a gap drops the resume point')
  })

  void it('deleting an unknown key emits nothing; deleting a held key emits it', () => {
    const st = new SyncState()
    snapshot(st, 'e', 0, [put('a', '1')])
    const delA: KVUpdate = { key: 'Node/a', value: undefined, revision: '2' }
    const delX: KVUpdate = { key: 'Node/x', value: undefined, revision: '2' }
    assert.deepEqual(st.applyDeltas(1, 2, [delX, delA]), [delA])
    assert.equal(st.kvs.size, 0)
  })

  void it('an interrupted snapshot leaves no resume point, so the next connection snapshots again', () => {
    const st = new SyncState()
    snapshot(st, 'e', 5, [put('a', '1')])
    st.beginSnapshot()
    st.applySnapshotChunk([put('b', '2')])
    st.abandonSnapshot()
    assert.equal(st.resumePoint, undefined)
    assert.throws(() => st.resume('e'), ProtocolError)
    // The next full snapshot repairs everything, deleting what neither snapshot had.
    assert.deepEqual(snapshot(st, 'e', 8, [put('b', '2')]), [
      { key: 'Node/a', value: undefined, revision: '1' },
    ])
  })

  void it("with retain 'digest' holds digests, not values, and diffs a reconnect the same way", () => {
    const st = new SyncState(undefined, 'digest')
    assert.deepEqual(
      snapshot(st, 'e', 5, [put('same', '1'), put('changed', '2'), put('gone', '3')]),
      [put('same', '1'), put('changed', '2'), put('gone', '3')]
    )
    assert.equal(st.kvs.size, 0, 'no values held')
    assert.deepEqual([...st.digests.keys()], ['Node/same', 'Node/changed', 'Node/gone'])
    const digestOf = (k: string): string | undefined => st.digests.get(k)?.slice(0, DIGEST_LENGTH)
    assert.notEqual(digestOf('Node/same'), digestOf('Node/changed'))
    assert.equal(digestOf('Node/same')?.length, DIGEST_LENGTH)
    const out = snapshot(st, 'f', 9, [
      put('same', '1', 'other-revision'),
      put('changed', '9'),
      put('new', '4'),
    ])
    assert.deepEqual(out, [
      put('changed', '9'),
      put('new', '4'),
      { key: 'Node/gone', value: undefined, revision: '1' },
    ])
    assert.equal(heldRevision(st.digests.get('Node/same')!), 'other-revision')
    assert.deepEqual(st.applyDeltas(10, 11, [put('same', '1', '7'), put('new', '5')]), [
      put('new', '5'),
    ])
    const del: KVUpdate = { key: 'Node/new', value: undefined, revision: '12' }
    assert.deepEqual(st.applyDeltas(12, 12, [del, del]), [del])
    assert.deepEqual([...st.digests.keys()].sort(), ['Node/changed', 'Node/same'])
  })

  void it("with retain 'digest' a change only in projected-away fields is no change", () => {
    // Keeps the name, drops the tunnel address.
    const slim = (u: KVUpdate): KVUpdate => ({
      ...u,
      value: u.value && {
        kind: 'Node',
        metadata: { name: u.value.metadata.name },
        spec: {},
      },
    })
    const st = new SyncState(slim, 'digest')
    snapshot(st, 'e', 1, [put('a', '1')])
    assert.deepEqual(st.applyDeltas(2, 2, [put('a', '2')]), [])
    assert.equal(valueDigest({ a: 1 }), valueDigest({ a: 1 }))
    assert.notEqual(valueDigest({ a: 1 }), valueDigest({ a: 2 }))
  })

  void it('a digest is the whole SHA-256 of the JSON text, DIGEST_LENGTH one-byte characters', () => {
    const text = JSON.stringify({ kind: 'Node', metadata: { name: 'ü-ß' } })
    const d = valueDigest(JSON.parse(text))
    assert.equal(d.length, DIGEST_LENGTH)
    assert.ok([...d].every((c) => c.charCodeAt(0) <= 0xff))
    assert.equal(Buffer.from(d, 'latin1').toString('hex'), hash('sha256', text, 'hex'))
    // The revision after the digest is found again whatever bytes the digest holds.
    assert.equal(heldRevision(d + 'rev-7'), 'rev-7')
  })

  void it('deltas before the stream started are rejected', () => {
    assert.throws(() => new SyncState().applyDeltas(1, 1, []), ProtocolError)
  })
})

void describe('AddressRotation', () => {
  void it('hands out every address once per round, in shuffled order, never repeating across a round boundary', () => {
    let x = 0
    const random = (): number => (x = (x * 9301 + 49297) % 233280) / 233280
    const addrs = ['a', 'b', 'c', 'd']
    const rot = new AddressRotation(addrs, random)
    let prev: string | undefined
    for (let round = 0; round < 50; round++) {
      const got = addrs.map(() => rot.next())
      assert.deepEqual([...got].sort(), addrs)
      assert.notEqual(got[0], prev)
      prev = got[got.length - 1]
    }
  })

  void it('with one address always returns it', () => {
    const rot = new AddressRotation(['only'])
    assert.deepEqual([rot.next(), rot.next()], ['only', 'only'])
  })
})

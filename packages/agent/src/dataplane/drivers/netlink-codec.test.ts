import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { NetlinkRequestError } from '../../errors.js'
import type { LinkIndexes, VxlanOp } from '../types.js'
import { encodeOps, forEachAck, NLMSG_ERROR } from './netlink-codec.js'

const links: LinkIndexes = {
  device: 7,
  byName: new Map([
    ['vxlan.calico', 7],
    ['u0', 3],
  ]),
}
const MAC = '66:3e:ca:a4:db:65'

interface Decoded {
  type: number
  flags: number
  seq: number
  body: Buffer
  attrs: Map<number, Buffer>
}

/** Splits encoded messages back into headers, fixed bodies (12 bytes) and attributes. */
function decode(buf: Buffer, offsets: Uint32Array): Decoded[] {
  const out: Decoded[] = []
  for (let i = 0; i + 1 < offsets.length; i++) {
    const m = buf.subarray(offsets[i], offsets[i + 1])
    assert.equal(m.readUInt32LE(0), m.length, 'nlmsg_len is the message length')
    assert.equal(m.length % 4, 0, 'messages are padded to 4 bytes')
    const attrs = new Map<number, Buffer>()
    for (let p = 28; p < m.length;) {
      const len = m.readUInt16LE(p)
      attrs.set(m.readUInt16LE(p + 2), m.subarray(p + 4, p + len))
      p += (len + 3) & ~3
    }
    out.push({
      type: m.readUInt16LE(4),
      flags: m.readUInt16LE(6),
      seq: m.readUInt32LE(8),
      body: m.subarray(16, 28),
      attrs,
    })
  }
  return out
}

void describe('netlink codec', () => {
  const ops: VxlanOp[] = [
    { op: 'fdb-set', mac: MAC, dst: '198.18.0.2' },
    { op: 'arp-set', ip: '198.19.64.1', mac: MAC },
    {
      op: 'route-add',
      route: {
        dst: '198.19.64.0/26',
        type: 'unicast',
        gateway: '198.19.64.1',
        dev: 'vxlan.calico',
        protocol: 80,
      },
    },
    { op: 'route-set', route: { dst: '198.19.0.0/26', type: 'blackhole', protocol: 80 } },
    {
      op: 'route-del',
      route: {
        dst: '198.19.9.0/26',
        type: 'unicast',
        gateway: '198.18.0.9',
        dev: 'u0',
        protocol: 80,
      },
    },
    { op: 'arp-del', ip: '198.19.64.1', mac: MAC },
    { op: 'fdb-del', mac: MAC, dst: '198.18.0.2' },
  ]

  void it('writes the messages the kernel expects: types, flags, bodies, attributes, sequence numbers', () => {
    const { buf, offsets } = encodeOps(ops, links, 100, 3)
    const m = decode(buf, offsets)
    assert.deepEqual(
      m.map((x) => [x.type, x.seq]),
      [
        [28, 100],
        [28, 101],
        [24, 102],
        [24, 103],
        [25, 104],
        [29, 105],
        [29, 106],
      ]
    )
    // REQUEST always; ACK on every third and the last; CREATE|REPLACE on sets, CREATE|EXCL on adds.
    assert.deepEqual(
      m.map((x) => x.flags),
      [0x501, 0x501, 0x605, 0x501, 0x1, 0x5, 0x5]
    )
    const [fdb, arp, add, hole, del, arpDel, fdbDel] = m as [
      Decoded,
      Decoded,
      Decoded,
      Decoded,
      Decoded,
      Decoded,
      Decoded,
    ]
    // ndmsg: family, ifindex, state NUD_PERMANENT, flags NTF_SELF (FDB only).
    assert.deepEqual(
      [fdb.body[0], fdb.body.readInt32LE(4), fdb.body.readUInt16LE(8), fdb.body[10]],
      [7, 7, 0x80, 2]
    )
    assert.deepEqual([...(fdb.attrs.get(2) ?? [])], [0x66, 0x3e, 0xca, 0xa4, 0xdb, 0x65])
    assert.deepEqual([...(fdb.attrs.get(1) ?? [])], [198, 18, 0, 2])
    assert.deepEqual([arp.body[0], arp.body.readUInt16LE(8), arp.body[10]], [2, 0x80, 0])
    assert.deepEqual([...(arp.attrs.get(1) ?? [])], [198, 19, 64, 1])
    // rtmsg: family, dst_len, table main, protocol, scope, type, flags (onlink for unicast adds).
    const rt = (d: Decoded): number[] => [...d.body.subarray(0, 8), d.body.readUInt32LE(8)]
    assert.deepEqual(rt(add), [2, 26, 0, 0, 254, 80, 0, 1, 4])
    assert.deepEqual([...(add.attrs.get(1) ?? [])], [198, 19, 64, 0])
    assert.equal(add.attrs.get(4)?.readInt32LE(0), 7)
    assert.deepEqual([...(add.attrs.get(5) ?? [])], [198, 19, 64, 1])
    assert.deepEqual(rt(hole), [2, 26, 0, 0, 254, 80, 0, 6, 0])
    assert.deepEqual([...hole.attrs.keys()], [1])
    // Deletion: scope nowhere, the device (here the parent), no gateway, no onlink.
    assert.deepEqual(rt(del), [2, 26, 0, 0, 254, 80, 255, 1, 0])
    assert.equal(del.attrs.get(4)?.readInt32LE(0), 3)
    assert.equal(del.attrs.has(5), false)
    assert.deepEqual(
      [arpDel.body[0], arpDel.body.readUInt16LE(8), [...arpDel.attrs.keys()]],
      [2, 0, [1]]
    )
    assert.deepEqual(
      [fdbDel.body[0], fdbDel.body[10], [...fdbDel.attrs.keys()].sort()],
      [7, 2, [1, 2]]
    )
  })

  void it('a malformed address fails the whole set before anything is sent, naming the entry', () => {
    for (const bad of [
      { op: 'fdb-set', mac: '66:3e:ca:a4:db', dst: '198.18.0.2' },
      { op: 'arp-set', ip: '198.19.64.256', mac: MAC },
      { op: 'route-add', route: { dst: '198.19.64.0/33', type: 'blackhole', protocol: 80 } },
    ] as VxlanOp[]) {
      assert.throws(
        () => encodeOps([ops[0]!, bad], links, 1, 64),
        (e) => e instanceof NetlinkRequestError && e.errno === 'EINVAL' && /198|66:/.test(e.op)
      )
    }
  })

  void it('reads acknowledgements and errors with their sequence numbers', () => {
    const ack = (seq: number, err: number): Buffer => {
      const b = Buffer.alloc(36)
      b.writeUInt32LE(36, 0)
      b.writeUInt16LE(NLMSG_ERROR, 4)
      b.writeUInt32LE(seq, 8)
      b.writeInt32LE(-err, 16)
      return b
    }
    const other = Buffer.alloc(20)
    other.writeUInt32LE(20, 0)
    other.writeUInt16LE(16, 4)
    const seen: [number, number][] = []
    forEachAck(Buffer.concat([ack(5, 0), other, ack(6, 17)]), (s, e) => seen.push([s, e]))
    assert.deepEqual(seen, [
      [5, 0],
      [6, 17],
    ])
  })
})

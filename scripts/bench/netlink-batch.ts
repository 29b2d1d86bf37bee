/**
 * One side of the vxlan benchmark's limit: programs FDB, ARP and onlink-route entries with raw
 * batched rtnetlink (many messages per sendmsg, deps.md §1.3–1.4), run inside the target netns
 * (`ip netns exec <ns> node … netlink-batch.ts <file>`; a netlink socket belongs to the netns of
 * its process).
 *
 * Input: a JSON file `{device, entries: [[mac, nodeIp, tunnelIp, blockCidr], …], protocol}`.
 * Output: one JSON line `{"ms":…, "acks":…, "errors":…}`: the time from the first send to the
 * last acknowledgement (process start-up and file reading excluded, as the device is made first);
 * `acks` counts the messages known done.
 *
 * Messages are built by hand (nlmsghdr + ndmsg/rtmsg + attributes, each padded to 4 bytes: the
 * kernel skips the rest of a datagram after an unpadded neighbour message), `BATCH` per sendmsg
 * in one Buffer (more than 1024 iovecs fail), at most `IN_FLIGHT` unacknowledged messages. Only
 * the last message of each datagram asks for an ack (NLM_F_ACK): the kernel reports a failed
 * request whether or not it asked for one, and handles a socket's requests in order, so that ack
 * proves the whole datagram done. Measured faster than acking every message (≈90 ms less CPU for
 * 30,000 entries: 470 acks to receive instead of 30,000); the agent's writer does the same.
 */
import { readFileSync } from 'node:fs'
import { RawNetlinkSocket } from 'netlink'

const NETLINK_ROUTE = 0
const RTM_NEWROUTE = 24
const RTM_NEWNEIGH = 28
const NLMSG_ERROR = 2
const F_REQUEST = 0x1
const F_ACK = 0x4
const F_REPLACE = 0x100
const F_CREATE = 0x400
const AF_INET = 2
const AF_BRIDGE = 7
const NUD_PERMANENT = 0x80
const NTF_SELF = 0x02
const NDA_DST = 1
const NDA_LLADDR = 2
const RTA_DST = 1
const RTA_OIF = 4
const RTA_GATEWAY = 5
const RTNH_F_ONLINK = 4
const BATCH = 64
const IN_FLIGHT = 1024

interface Input {
  readonly device: string
  readonly protocol: number
  readonly entries: readonly (readonly [string, string, string, string])[]
}

const ip4 = (s: string): Buffer => Buffer.from(s.split('.').map(Number))
const mac6 = (s: string): Buffer => Buffer.from(s.split(':').map((h) => parseInt(h, 16)))
const pad4 = (n: number): number => (n + 3) & ~3

function attr(type: number, data: Buffer): Buffer {
  const b = Buffer.alloc(pad4(4 + data.length))
  b.writeUInt16LE(4 + data.length, 0)
  b.writeUInt16LE(type, 2)
  data.copy(b, 4)
  return b
}

// Set once the input is read: the last sequence number (it asks for an ack too).
let lastSeq = 0

function message(type: number, seq: number, body: Buffer, attrs: Buffer[]): Buffer {
  const len = 16 + body.length + attrs.reduce((a, b) => a + b.length, 0)
  const h = Buffer.alloc(16)
  h.writeUInt32LE(len, 0)
  h.writeUInt16LE(type, 4)
  const ack = seq % BATCH === 0 || seq === lastSeq ? F_ACK : 0
  h.writeUInt16LE(F_REQUEST | ack | F_CREATE | F_REPLACE, 6)
  h.writeUInt32LE(seq, 8)
  return Buffer.concat([h, body, ...attrs])
}

function neigh(
  seq: number,
  family: number,
  ifindex: number,
  flags: number,
  attrs: Buffer[]
): Buffer {
  const b = Buffer.alloc(12)
  b.writeUInt8(family, 0)
  b.writeInt32LE(ifindex, 4)
  b.writeUInt16LE(NUD_PERMANENT, 8)
  b.writeUInt8(flags, 10)
  return message(RTM_NEWNEIGH, seq, b, attrs)
}

function route(seq: number, ifindex: number, cidr: string, via: string, protocol: number): Buffer {
  const [dst, len] = cidr.split('/') as [string, string]
  const b = Buffer.alloc(12)
  b.writeUInt8(AF_INET, 0)
  b.writeUInt8(Number(len), 1)
  b.writeUInt8(254, 4) // main table
  b.writeUInt8(protocol, 5)
  b.writeUInt8(0, 6) // universe
  b.writeUInt8(1, 7) // unicast
  b.writeUInt32LE(RTNH_F_ONLINK, 8)
  const oif = Buffer.alloc(4)
  oif.writeInt32LE(ifindex, 0)
  return message(RTM_NEWROUTE, seq, b, [
    attr(RTA_DST, ip4(dst)),
    attr(RTA_GATEWAY, ip4(via)),
    attr(RTA_OIF, oif),
  ])
}

const input = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Input
const ifindex = Number(readFileSync(`/sys/class/net/${input.device}/ifindex`, 'utf8').trim())
let seq = 0
lastSeq = 3 * input.entries.length
const msgs: Buffer[] = []
// FDB and ARP first: a route's onlink gateway needs no neighbour, but Felix's order is kept.
for (const [mac, node] of input.entries)
  msgs.push(
    neigh(++seq, AF_BRIDGE, ifindex, NTF_SELF, [
      attr(NDA_LLADDR, mac6(mac)),
      attr(NDA_DST, ip4(node)),
    ])
  )
for (const [mac, , tunnel] of input.entries)
  msgs.push(
    neigh(++seq, AF_INET, ifindex, 0, [attr(NDA_DST, ip4(tunnel)), attr(NDA_LLADDR, mac6(mac))])
  )
for (const [, , tunnel, cidr] of input.entries)
  msgs.push(route(++seq, ifindex, cidr, tunnel, input.protocol))
const batches: Buffer[] = []
for (let i = 0; i < msgs.length; i += BATCH) batches.push(Buffer.concat(msgs.slice(i, i + BATCH)))

const sock = new RawNetlinkSocket(NETLINK_ROUTE, {
  recvBufferSize: 4 << 20,
  sendBufferSize: 4 << 20,
})
let acks = 0
let errors = 0
let firstError = ''
let sent = 0
let next = 0
const t0 = performance.now()
const done = new Promise<void>((resolve) => {
  const pump = (): void => {
    while (next < batches.length && sent - acks < IN_FLIGHT) {
      const b = batches[next++]!
      sent += Math.min(BATCH, msgs.length - (next - 1) * BATCH)
      sock.send(b)
    }
  }
  sock.on('message', (buf: Buffer) => {
    for (let off = 0; off + 16 <= buf.length;) {
      const len = buf.readUInt32LE(off)
      if (buf.readUInt16LE(off + 4) === NLMSG_ERROR) {
        // Messages 1..seq are done once message seq (the last of its datagram) is answered.
        const at = buf.readUInt32LE(off + 8)
        if (at % BATCH === 0 || at === lastSeq) acks = Math.max(acks, at)
        const errno = buf.readInt32LE(off + 16)
        if (errno !== 0) {
          errors++
          firstError ||= `errno ${-errno} at seq ${at}`
        }
      }
      off += pad4(len)
    }
    if (acks >= msgs.length) resolve()
    else pump()
  })
  sock.on('error', (err) => {
    firstError ||= err.message
    resolve()
  })
  pump()
})
await done
const ms = performance.now() - t0
sock.close()
process.stdout.write(JSON.stringify({ ms, acks, errors, firstError }) + '\n')
process.exit(0)

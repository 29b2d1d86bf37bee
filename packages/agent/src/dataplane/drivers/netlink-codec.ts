/**
 * rtnetlink messages for the VXLAN ops, written by hand into one preallocated buffer (no per-op
 * objects, no attribute streams): FDB and ARP entries (RTM_NEWNEIGH/RTM_DELNEIGH) and routes
 * (RTM_NEWROUTE/RTM_DELROUTE). The layout and flags are exactly what the addon's high-level calls
 * sent before (deps.md §1.2): FDB = AF_BRIDGE, NUD_PERMANENT, NTF_SELF, lladdr + dst; ARP =
 * AF_INET, NUD_PERMANENT, dst + lladdr; routes in the main table with our protocol, unicast ones
 * onlink via a gateway out of a device, blackholes bare. Sets are create-or-replace, route adds
 * create-exclusive (a foreign route that appeared makes the add fail instead of being replaced).
 *
 * Every message and attribute is padded to 4 bytes: after an unpadded neighbour message the kernel
 * silently skips the rest of the datagram (deps.md §1.3). Sequence numbers are `seq0 + i` for op i,
 * which is how an acknowledgement (or error) is attributed back to its op.
 *
 * Acknowledgements: only messages flagged `ack` ask for one (NLM_F_ACK); the kernel reports an
 * error for ANY failed request regardless (netlink_rcv_skb acks when `NLM_F_ACK || err`), and it
 * processes one socket's requests in order, so the ack of the last message of a datagram proves
 * every earlier message done, and any failure among them has arrived before it.
 */
import { NetlinkRequestError } from '../../errors.js'
import type { KernelRoute, LinkIndexes, VxlanOp } from '../types.js'

const RTM_NEWROUTE = 24
const RTM_DELROUTE = 25
const RTM_NEWNEIGH = 28
const RTM_DELNEIGH = 29
/** nlmsghdr type of acknowledgements and errors. */
export const NLMSG_ERROR = 2
const F_REQUEST = 0x1
const F_ACK = 0x4
const F_REPLACE = 0x100
const F_EXCL = 0x200
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
const RT_TABLE_MAIN = 254
const RT_SCOPE_UNIVERSE = 0
const RT_SCOPE_NOWHERE = 255
const RTN_UNICAST = 1
const RTN_BLACKHOLE = 6
/** The largest message we write (a unicast route: header, rtmsg, dst, oif, gateway). */
export const MAX_MESSAGE_BYTES = 16 + 12 + 8 + 8 + 8

/** Encoded messages: message i spans `offsets[i]` to `offsets[i + 1]` of `buf`. */
export interface EncodedOps {
  readonly buf: Buffer
  readonly offsets: Uint32Array
}

/** A short text naming the entry an op changes (error attribution, logs). */
export function opLabel(op: VxlanOp): string {
  switch (op.op) {
    case 'fdb-set':
      return `fdb replace ${op.mac}`
    case 'fdb-del':
      return `fdb del ${op.mac}`
    case 'arp-set':
      return `neigh replace ${op.ip}`
    case 'arp-del':
      return `neigh del ${op.ip}`
    case 'route-add':
      return `route add ${op.route.dst}`
    case 'route-set':
      return `route replace ${op.route.dst}`
    case 'route-del':
      return `route del ${op.route.dst}`
  }
}

/** Writes dotted-quad `s` at `off`; false when it is not one. */
function putIPv4(buf: Buffer, off: number, s: string, end = s.length): boolean {
  let part = 0
  let digits = 0
  let idx = 0
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || idx === 3) return false
      buf[off + idx++] = part
      part = 0
      digits = 0
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48)
      digits++
      if (part > 255) return false
    } else return false
  }
  if (digits === 0 || idx !== 3) return false
  buf[off + 3] = part
  return true
}

const hexVal = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1

/** Writes MAC `aa:bb:cc:dd:ee:ff` at `off`; false when it is not one. */
function putMac(buf: Buffer, off: number, s: string): boolean {
  if (s.length !== 17) return false
  for (let i = 0; i < 6; i++) {
    const hi = hexVal(s.charCodeAt(i * 3))
    const lo = hexVal(s.charCodeAt(i * 3 + 1))
    if (hi < 0 || lo < 0 || (i < 5 && s.charCodeAt(i * 3 + 2) !== 58)) return false
    buf[off + i] = (hi << 4) | lo
  }
  return true
}

/** Writes an attribute header; returns the offset of its payload. */
function attr(dv: DataView, off: number, type: number, len: number): number {
  dv.setUint16(off, 4 + len, true)
  dv.setUint16(off + 2, type, true)
  return off + 4
}

function header(
  dv: DataView,
  off: number,
  len: number,
  type: number,
  flags: number,
  seq: number
): void {
  dv.setUint32(off, len, true)
  dv.setUint16(off + 4, type, true)
  dv.setUint16(off + 6, flags, true)
  dv.setUint32(off + 8, seq >>> 0, true)
  dv.setUint32(off + 12, 0, true)
}

/** Writes one neighbour message (FDB or ARP) at `off`; returns its length. */
function neigh(
  buf: Buffer,
  dv: DataView,
  off: number,
  type: number,
  flags: number,
  seq: number,
  family: number,
  ifindex: number,
  state: number,
  ntf: number,
  ip: string,
  mac: string | undefined
): number {
  const len = 28 + 8 + (mac === undefined ? 0 : 12)
  header(dv, off, len, type, flags, seq)
  dv.setUint32(off + 16, family, true) // family, pad1, pad2
  dv.setInt32(off + 20, ifindex, true)
  dv.setUint16(off + 24, state, true)
  buf[off + 26] = ntf
  buf[off + 27] = 0
  let p = off + 28
  // FDB: lladdr first (the addon's order); ARP: dst first. The kernel does not care.
  if (family === AF_BRIDGE && mac !== undefined) {
    if (!lladdr(buf, dv, p, mac)) return -1
    p += 12
  }
  if (!putIPv4(buf, attr(dv, p, NDA_DST, 4), ip)) return -1
  p += 8
  if (family !== AF_BRIDGE && mac !== undefined && !lladdr(buf, dv, p, mac)) return -1
  return len
}

function lladdr(buf: Buffer, dv: DataView, p: number, mac: string): boolean {
  dv.setUint16(p + 10, 0, true) // padding
  return putMac(buf, attr(dv, p, NDA_LLADDR, 6), mac)
}

/** Writes one route message at `off`; returns its length (-1: malformed). */
function route(
  buf: Buffer,
  dv: DataView,
  off: number,
  r: KernelRoute,
  del: boolean,
  flags: number,
  seq: number,
  links: LinkIndexes
): number {
  const slash = r.dst.indexOf('/')
  const dstLen = slash < 0 ? 32 : Number(r.dst.slice(slash + 1))
  if (!(dstLen >= 0 && dstLen <= 32)) return -1
  const unicast = r.type === 'unicast'
  const oif = unicast && r.dev !== undefined ? links.byName.get(r.dev) : undefined
  const gw = unicast && !del ? r.gateway : undefined
  const len = 28 + 8 + (oif === undefined ? 0 : 8) + (gw === undefined ? 0 : 8)
  header(dv, off, len, del ? RTM_DELROUTE : RTM_NEWROUTE, flags, seq)
  buf[off + 16] = AF_INET
  buf[off + 17] = dstLen
  buf[off + 18] = 0 // src_len
  buf[off + 19] = 0 // tos
  buf[off + 20] = RT_TABLE_MAIN
  buf[off + 21] = r.protocol
  buf[off + 22] = del ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE
  buf[off + 23] = unicast ? RTN_UNICAST : RTN_BLACKHOLE
  dv.setUint32(off + 24, unicast && !del ? RTNH_F_ONLINK : 0, true)
  let p = off + 28
  if (!putIPv4(buf, attr(dv, p, RTA_DST, 4), r.dst, slash < 0 ? r.dst.length : slash)) return -1
  p += 8
  if (oif !== undefined) {
    dv.setInt32(attr(dv, p, RTA_OIF, 4), oif, true)
    p += 8
  }
  if (gw !== undefined && !putIPv4(buf, attr(dv, p, RTA_GATEWAY, 4), gw)) return -1
  return len
}

/**
 * Encodes `ops` as consecutive messages with sequence numbers `seq0 + i`; message i asks for an
 * acknowledgement when `ackEvery` divides i + 1 or it is the last one. Throws NetlinkRequestError
 * (EINVAL, attributed to the op) for a malformed address, before anything is sent.
 */
export function encodeOps(
  ops: readonly VxlanOp[],
  links: LinkIndexes,
  seq0: number,
  ackEvery: number
): EncodedOps {
  const buf = Buffer.allocUnsafe(ops.length * MAX_MESSAGE_BYTES)
  // DataView stores are builtins: fast from the first call, when the JIT has not warmed up yet
  // (a bulk program runs once per process, cold), unlike Buffer's JS write helpers.
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const offsets = new Uint32Array(ops.length + 1)
  const dev = links.device
  let off = 0
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as VxlanOp
    const ack = (i + 1) % ackEvery === 0 || i === ops.length - 1 ? F_ACK : 0
    const seq = seq0 + i
    let len: number
    switch (op.op) {
      case 'fdb-set':
        len = neigh(
          buf,
          dv,
          off,
          RTM_NEWNEIGH,
          F_REQUEST | ack | F_CREATE | F_REPLACE,
          seq,
          AF_BRIDGE,
          dev,
          NUD_PERMANENT,
          NTF_SELF,
          op.dst,
          op.mac
        )
        break
      case 'fdb-del':
        len = neigh(
          buf,
          dv,
          off,
          RTM_DELNEIGH,
          F_REQUEST | ack,
          seq,
          AF_BRIDGE,
          dev,
          NUD_PERMANENT,
          NTF_SELF,
          op.dst,
          op.mac
        )
        break
      case 'arp-set':
        len = neigh(
          buf,
          dv,
          off,
          RTM_NEWNEIGH,
          F_REQUEST | ack | F_CREATE | F_REPLACE,
          seq,
          AF_INET,
          dev,
          NUD_PERMANENT,
          0,
          op.ip,
          op.mac
        )
        break
      case 'arp-del':
        len = neigh(
          buf,
          dv,
          off,
          RTM_DELNEIGH,
          F_REQUEST | ack,
          seq,
          AF_INET,
          dev,
          0,
          0,
          op.ip,
          undefined
        )
        break
      case 'route-add':
        len = route(buf, dv, off, op.route, false, F_REQUEST | ack | F_CREATE | F_EXCL, seq, links)
        break
      case 'route-set':
        len = route(
          buf,
          dv,
          off,
          op.route,
          false,
          F_REQUEST | ack | F_CREATE | F_REPLACE,
          seq,
          links
        )
        break
      case 'route-del':
        len = route(buf, dv, off, op.route, true, F_REQUEST | ack, seq, links)
        break
    }
    if (len < 0) throw new NetlinkRequestError(opLabel(op), 'EINVAL', undefined)
    off += len
    offsets[i + 1] = off
  }
  return { buf, offsets }
}

/**
 * Calls `onAck(seq, errno)` for every acknowledgement or error in a received datagram (errno 0 =
 * success, else the positive errno); other messages are ignored.
 */
export function forEachAck(msg: Buffer, onAck: (seq: number, errno: number) => void): void {
  for (let off = 0; off + 16 <= msg.length;) {
    const len = msg.readUInt32LE(off)
    if (len < 16) return
    if (msg.readUInt16LE(off + 4) === NLMSG_ERROR && off + 20 <= msg.length)
      onAck(msg.readUInt32LE(off + 8), -msg.readInt32LE(off + 16) | 0)
    off += (len + 3) & ~3
  }
}

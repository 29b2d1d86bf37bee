/**
 * Netlink writer: applies a change set of any size as raw rtnetlink requests, pipelined: the ops
 * are encoded into one buffer (netlink-codec.ts), sent `BATCH_MESSAGES` per sendmsg, with a window
 * of unacknowledged messages, and only the last message of each datagram asks for an ack (errors
 * are reported for every message anyway). One change costs one sendmsg and one ack (≈0.1 ms);
 * 30,000 entries cost ≈470 sendmsg calls and as many acks, which is as fast as this machine
 * programs them (the vxlan benchmark's limit uses the same method).
 *
 * Overview: one socket, used ONLY for mutations (we join no multicast group and run no dump on
 * it, so no notification flood or multipart reply can share it). An apply runs in two phases,
 * deletions then creations, each fully acknowledged before the next starts. Every error the kernel
 * reports carries the sequence number of its request, so it is attributed to its op: deletions of
 * absent entries are fine (the goal state is reached); any other error fails the apply with a
 * NetlinkRequestError naming the entry (the first one; no further datagram is sent), after every
 * datagram already sent was acknowledged. The driver then resyncs, as before.
 *
 * Surviving socket overflow (deps.md §1.3): the addon is patched so that an overflow surfaces as
 * an 'error' event instead of an abort (scripts/patch-netlink.sh). The writer keeps the receive
 * buffer far from full: few acks (one per datagram), and a window no larger than the buffer
 * holds even if every message in it failed (SO_RCVBUF / ACK_BUFFER_BYTES; the kernel may cap the
 * requested 4 MiB at net.core.rmem_max). When the socket does report an error, or an apply makes
 * no progress for `netlinkTimeoutMs`, the socket is dropped, the running apply fails, a recreation
 * is counted and `onReset` asks the driver for a full resync; the next request opens a fresh
 * socket. No callback the addon invokes may throw (that would abort the process).
 */
import { constants as osConstants } from 'node:os'
import { RawNetlinkSocket } from 'netlink'
import type { Logger } from '@cattail/common'
import { NetlinkRequestError } from '../../errors.js'
import type { LinkIndexes, VxlanDataplaneConfig, VxlanOp } from '../types.js'
import { encodeOps, forEachAck, opLabel } from './netlink-codec.js'

const NETLINK_ROUTE = 0
const RTM_GETLINK = 18
/** Messages per sendmsg; the last one of each asks for the ack. */
const BATCH_MESSAGES = 64
/** Receive-buffer cost bound of one queued ack or error (skb truesize with the echoed request). */
const ACK_BUFFER_BYTES = 1024
/** Deletions of absent entries are fine: the goal state is reached. */
const ABSENT = new Set(['ENOENT', 'ESRCH', 'ENODATA'])
const ERRNO_NAMES = new Map(Object.entries(osConstants.errno).map(([name, n]) => [n, name]))
const errnoName = (n: number): string => ERRNO_NAMES.get(n) ?? `errno ${n}`

/** Hooks the writer reports through. */
export interface NetlinkWriterHooks {
  /** The socket failed and was dropped: the kernel state is unknown, resync. */
  readonly onReset: (err: unknown) => void
}

/** The request/response exchange running on the socket (one at a time). */
interface Exchange {
  onMessage(msg: Buffer): void
  fail(err: Error): void
}

/** Applies ops through an rtnetlink socket. */
export class NetlinkWriter {
  #sock: RawNetlinkSocket | undefined
  /** The socket {@link warm} last ran on. */
  #warmed: RawNetlinkSocket | undefined
  #exchange: Exchange | undefined
  /** Unacknowledged messages allowed on the current socket. */
  #window = BATCH_MESSAGES
  #seq = 1
  #recreations = 0

  constructor(
    private readonly cfg: VxlanDataplaneConfig,
    private readonly log: Logger,
    private readonly hooks: NetlinkWriterHooks
  ) {}

  /** Sockets dropped after an error since construction. */
  get recreations(): number {
    return this.#recreations
  }

  #socket(): RawNetlinkSocket {
    if (this.#sock !== undefined) return this.#sock
    const sock = new RawNetlinkSocket(NETLINK_ROUTE, {
      recvBufferSize: this.cfg.netlinkRecvBufferBytes,
      sendBufferSize: 1 << 20,
      // Acks and the warm-up reply are small: one recvmsg each instead of a peek and a read.
      messagePeeking: false,
      msgBufferSize: 16 << 10,
    })
    // Both are invoked from native code: they must never throw.
    sock.on('error', (err) => {
      try {
        this.#drop(sock, err)
      } catch (e) {
        this.log.error({ err: e }, 'netlink error handler failed')
      }
    })
    sock.on('message', (msg) => {
      try {
        if (this.#sock === sock) this.#exchange?.onMessage(msg)
      } catch (e) {
        this.log.error({ err: e }, 'netlink message handler failed')
      }
    })
    const fits = Math.floor(sock.getRecvBufferSize() / ACK_BUFFER_BYTES)
    // Whole datagrams: the pump sends BATCH_MESSAGES at a time while under the window, so a window
    // that is not a multiple of it would let up to BATCH_MESSAGES - 1 more be outstanding.
    const window = Math.min(this.cfg.netlinkMaxInFlight, fits)
    this.#window = Math.max(BATCH_MESSAGES, Math.floor(window / BATCH_MESSAGES) * BATCH_MESSAGES)
    this.#sock = sock
    return sock
  }

  #drop(sock: RawNetlinkSocket, err: unknown): void {
    if (this.#sock !== sock) return
    this.#sock = undefined
    this.#recreations++
    this.log.warn({ err }, 'netlink socket failed; recreating and resyncing')
    try {
      sock.close()
    } catch {
      // Already closed by the addon: nothing left to release.
    }
    const ex = this.#exchange
    this.#exchange = undefined
    ex?.fail(err instanceof Error ? err : new Error(String(err)))
    this.hooks.onReset(err)
  }

  /**
   * Test hook: makes the current socket (opened if needed) emit `err` exactly as the addon does
   * on ENOBUFS/EBADF, so the real 'error' listener path runs.
   */
  injectSocketError(err: Error): void {
    this.#socket().emit(
      'error',
      Object.assign(err, {
        name: 'ErrnoException' as const,
        syscall: 'recvmsg',
        errno: 105,
        code: 'ENOBUFS',
      })
    )
  }

  /**
   * Makes sure a socket is open and has done one round trip (RTM_GETLINK for `ifindex`: a single
   * reply, no kernel change), once per socket, so that the first small change after a start does
   * not pay for it. Failures are only logged at debug: the next real request reports real problems.
   */
  async warm(ifindex: number): Promise<void> {
    const sock = this.#socket()
    if (this.#warmed === sock || this.#exchange !== undefined) return
    this.#warmed = sock
    const seq = this.#nextSeq(1)
    const req = Buffer.alloc(32)
    req.writeUInt32LE(32, 0)
    req.writeUInt16LE(RTM_GETLINK, 4)
    req.writeUInt16LE(1, 6) // NLM_F_REQUEST
    req.writeUInt32LE(seq, 8)
    req.writeInt32LE(ifindex, 20)
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.#exchange = undefined
          reject(new Error('timed out'))
        }, this.cfg.netlinkTimeoutMs)
        this.#exchange = {
          onMessage: (msg) => {
            if (msg.length < 16 || msg.readUInt32LE(8) !== seq) return
            clearTimeout(timer)
            this.#exchange = undefined
            resolve()
          },
          fail: (err) => {
            clearTimeout(timer)
            reject(err)
          },
        }
        sock.send(req, {}, (err) => {
          if (err !== undefined && this.#exchange !== undefined) this.#exchange.fail(err)
        })
      })
    } catch (err) {
      this.#exchange = undefined
      this.log.debug({ err }, 'netlink warm-up read failed')
    }
  }

  /** Closes the socket (a running apply fails). */
  close(): void {
    if (this.#sock === undefined) return
    const sock = this.#sock
    this.#sock = undefined
    sock.close()
    const ex = this.#exchange
    this.#exchange = undefined
    ex?.fail(new Error('netlink writer closed'))
  }

  /** Applies `ops`: all deletions first, then all creations (see the file comment). */
  async apply(ops: readonly VxlanOp[], links: LinkIndexes): Promise<void> {
    let dels = 0
    for (const o of ops) if (o.op.endsWith('-del')) dels++
    if (dels === 0) return await this.#stream(ops, links)
    await this.#stream(
      ops.filter((o) => o.op.endsWith('-del')),
      links
    )
    await this.#stream(
      ops.filter((o) => !o.op.endsWith('-del')),
      links
    )
  }

  #nextSeq(n: number): number {
    const seq = this.#seq
    this.#seq = (seq + n) % 0x7fffffff || 1
    return seq
  }

  /** Sends `ops` pipelined and resolves when every one is acknowledged (or rejects, attributed). */
  async #stream(ops: readonly VxlanOp[], links: LinkIndexes): Promise<void> {
    const n = ops.length
    if (n === 0) return
    if (this.#exchange !== undefined) throw new Error('netlink writer: concurrent apply')
    const sock = this.#socket()
    const seq0 = this.#nextSeq(n)
    const { buf, offsets } = encodeOps(ops, links, seq0, BATCH_MESSAGES)
    const window = this.#window
    await new Promise<void>((resolve, reject) => {
      let next = 0 // messages sent
      let acked = 0 // messages known to be done (all below it)
      let failure: Error | undefined
      let timer: NodeJS.Timeout | undefined
      const stall = (): void => {
        clearTimeout(timer)
        timer = setTimeout(() => {
          this.#drop(
            sock,
            new NetlinkRequestError(opLabel(ops[acked] as VxlanOp), 'ETIMEDOUT', undefined)
          )
        }, this.cfg.netlinkTimeoutMs)
      }
      const finish = (err?: Error): void => {
        clearTimeout(timer)
        if (this.#exchange === ex) this.#exchange = undefined
        if (err === undefined) {
          this.#warmed = sock // it just did round trips: no warm-up needed
          resolve()
        } else reject(err)
      }
      const pump = (): void => {
        while (next < n && next - acked < window && failure === undefined) {
          const end = Math.min(next + BATCH_MESSAGES, n)
          const first = next
          next = end
          sock.send(buf.subarray(offsets[first], offsets[end]), {}, (err) => {
            if (err === undefined || this.#sock !== sock) return
            // Not delivered: the kernel state of this datagram is unknown; drop and resync.
            this.#drop(sock, new NetlinkRequestError(opLabel(ops[first] as VxlanOp), err.code, err))
          })
        }
      }
      const ex: Exchange = {
        onMessage: (msg) => {
          forEachAck(msg, (seq, errno) => {
            const i = seq - seq0
            if (i < 0 || i >= next) return // not ours (a stale reply of an earlier exchange)
            if (errno !== 0) {
              const op = ops[i] as VxlanOp
              const name = errnoName(errno)
              if (!(op.op.endsWith('-del') && ABSENT.has(name)))
                failure ??= new NetlinkRequestError(opLabel(op), name, undefined)
            }
            // The ack of a datagram's last message (or its error, which replaces the ack).
            if (((i + 1) % BATCH_MESSAGES === 0 || i === n - 1) && i + 1 > acked) acked = i + 1
          })
          if (acked === n || (failure !== undefined && acked === next)) finish(failure)
          else {
            stall()
            pump()
          }
        },
        fail: (err) => finish(err),
      }
      this.#exchange = ex
      stall()
      pump()
    })
  }
}

/**
 * Complete WebSocket frames (RFC 6455 §5.2) for payloads that many clients receive identically.
 *
 * # Overview
 * `ws.send()` builds a frame header and does a corked two-buffer write per call, per client.
 * For a shared Deltas, Status or snapshot frame the header is the same for every client, so the
 * server builds header + payload **once** ({@link WsFrames.of}, memoised per payload Buffer) and
 * writes that one Buffer straight to each client's socket: one write call per client, no
 * per-client allocation.
 *
 * # Why this is safe with ws
 * The server runs ws with `perMessageDeflate: false` and never sends Blobs, so ws's Sender
 * writes through to the socket immediately and queues nothing of its own; frames written here
 * and by ws (pings, GoAway, close) therefore reach the socket in call order.
 * `ws.bufferedAmount` reads the socket's writable length, so backpressure sees these writes too.
 * Server frames are unmasked, final, opcode 2 (binary).
 */

/** Header + payload of one final, unmasked binary frame. */
export function wsBinaryFrame(payload: Uint8Array): Buffer {
  const len = payload.length
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10
  const out = Buffer.allocUnsafe(head + len)
  out[0] = 0x82
  if (len < 126) out[1] = len
  else if (len < 65536) {
    out[1] = 126
    out.writeUInt16BE(len, 2)
  } else {
    out[1] = 127
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2)
    out.writeUInt32BE(len >>> 0, 6)
  }
  out.set(payload, head)
  return out
}

/** Framed copies of shared payloads, built once each and dropped with the payload. */
export class WsFrames {
  readonly #framed = new WeakMap<Buffer, Buffer>()

  /**
   * Frames `payload` now and returns a view of the payload **inside** the frame, registered so
   * that {@link of} returns the frame for it: the frame is then the only copy (a long-lived
   * shared payload, such as a snapshot chunk, is not held twice).
   */
  adopt(payload: Buffer): Buffer {
    const framed = wsBinaryFrame(payload)
    const view = framed.subarray(framed.length - payload.length)
    this.#framed.set(view, framed)
    return view
  }

  /** The complete frame for `payload` (a Buffer shared by many clients). */
  of(payload: Buffer): Buffer {
    let f = this.#framed.get(payload)
    if (f === undefined) {
      f = wsBinaryFrame(payload)
      this.#framed.set(payload, f)
    }
    return f
  }
}

/**
 * Reads what the load client needs from a Deltas frame — its seq and the send timestamp label of
 * its first (oldest) KV — without decoding the frame, for plain and raw-deflated
 * (`deltas-deflate`) frames alike.
 *
 * # Implementation
 * Plain frames are read in place ({@link MsgpackPeek}). A deflated frame must be inflated to
 * reach its first KV; {@link DeltasInflateMemo} does that once per distinct frame per load
 * process: the server sends byte-identical shared frames to every client, and a load process
 * simulates many agents on one core, while real agents each inflate their own copy on their own
 * CPU. A hit is checked byte for byte against the remembered compressed bytes (no guessing from
 * seq alone), so a client that received different bytes is inflated separately. The measured
 * latency is unchanged by the memo: it is taken when the whole frame reached that client.
 */
import { inflateRawSync } from 'node:zlib'
import { MsgpackPeek } from './msgpack-peek.js'

const K_SEQ = Buffer.from('seq')
const K_COMPRESSION = Buffer.from('compression')
const K_RAW_BYTES = Buffer.from('rawBytes')
const V_DEFLATE = Buffer.from('deflate')
const K_METADATA = Buffer.from('metadata')
const K_LABELS = Buffer.from('labels')

/** What a Deltas frame's header and first KV say. */
export interface DeltasPeek {
  /** Seq the client holds after the frame (NaN when the header could not be read). */
  readonly seq: number
  /** Send timestamp (ms) from the first KV's label; undefined when absent or unreadable. */
  readonly firstTs: number | undefined
}

/** Remembers the first-KV timestamp of recently inflated deflated Deltas frames. */
export class DeltasInflateMemo {
  readonly #entries = new Map<string, { data: Uint8Array; ts: number | undefined }>()
  /** Frames actually inflated (misses). */
  inflated = 0
  /** Frames answered from the memo after a byte-for-byte match. */
  hits = 0

  constructor(
    /** Distinct frames remembered (oldest forgotten first). @default 4096 */
    private readonly maxEntries = 4096
  ) {}

  /** The timestamp label of the first KV in a raw-deflated KV run. */
  firstTs(seq: number, data: Uint8Array, rawBytes: number, label: string): number | undefined {
    const id = `${seq}:${data.length}`
    const e = this.#entries.get(id)
    if (e !== undefined && Buffer.compare(e.data, data) === 0) {
      this.hits++
      return e.ts
    }
    this.inflated++
    let ts: number | undefined
    try {
      const raw = inflateRawSync(data, { maxOutputLength: Math.max(1, rawBytes) })
      ts = firstKvTs(raw, 0, label)
    } catch {
      ts = undefined // a corrupt frame: no sample (the server's tests own correctness)
    }
    if (e === undefined) {
      this.#entries.set(id, { data, ts })
      if (this.#entries.size > this.maxEntries) {
        const oldest = this.#entries.keys().next().value
        if (oldest !== undefined) this.#entries.delete(oldest)
      }
    }
    return ts
  }
}

/**
 * Peeks a Deltas frame `frame` (type byte at 0). `complete` says whether `frame` holds the whole
 * payload (a deflated frame cannot be read from a prefix).
 */
export function peekDeltas(
  frame: Uint8Array,
  complete: boolean,
  label: string,
  memo: DeltasInflateMemo
): DeltasPeek {
  let seq = NaN
  let deflated = false
  let rawBytes = 0
  const p = new MsgpackPeek(frame, 1)
  try {
    const n = p.mapLength()
    for (let i = 0; i < n; i++) {
      // Keys are compared in place (no strings): this runs for every frame of every client.
      const at = p.pos
      if (p.strIs(K_SEQ)) {
        seq = p.num()
        continue
      }
      p.pos = at
      if (p.strIs(K_COMPRESSION)) {
        deflated = p.strIs(V_DEFLATE)
        continue
      }
      p.pos = at
      if (p.strIs(K_RAW_BYTES)) {
        rawBytes = p.num()
        continue
      }
      p.skip()
    }
  } catch {
    return { seq, firstTs: undefined }
  }
  if (deflated) {
    if (!complete) return { seq, firstTs: undefined }
    return { seq, firstTs: memo.firstTs(seq, frame.subarray(p.pos), rawBytes, label) }
  }
  try {
    return { seq, firstTs: firstKvTs(frame, p.pos, label) }
  } catch {
    // A first KV longer than the kept head, or without the label: no latency sample.
    return { seq, firstTs: undefined }
  }
}

/** The `label` of the KV blob starting at `pos` (`[key, revision, value]`), as a number. */
function firstKvTs(buf: Uint8Array, pos: number, label: string): number | undefined {
  if (pos >= buf.length) return undefined
  const p = new MsgpackPeek(buf, pos)
  if (p.arrayLength() < 3) return undefined
  p.skip() // key
  p.skip() // revision
  if (p.find(p.mapLength(), K_METADATA) && p.find(p.mapLength(), K_LABELS)) {
    if (p.find(p.mapLength(), label)) return Number(p.str())
  }
  return undefined
}

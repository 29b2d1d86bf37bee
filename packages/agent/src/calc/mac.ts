/**
 * VTEP MAC addresses (pure). Calico derives a node's VXLAN MAC from its name unless the node
 * publishes one: `66` followed by the first five bytes of sha1(node name). 0x66 has the locally
 * administered bit set and the multicast bit clear, so the result is a valid unicast MAC.
 * node:crypto is allowed here: hashing is deterministic and does no I/O.
 */
import { createHash } from 'node:crypto'

/**
 * Derives the VTEP MAC for `nodeName` (the UNPREFIXED name for remote nodes, so both clusters
 * compute the same MAC). Vectors: `remotehostname` → `66:3e:ca:a4:db:65`.
 */
export function vtepMacForNode(nodeName: string): string {
  let mac = memo.get(nodeName)
  if (mac !== undefined) return mac
  const digest = createHash('sha1').update(nodeName).digest()
  const bytes = [0x66, ...digest.subarray(0, 5)]
  mac = bytes.map((b) => b.toString(16).padStart(2, '0')).join(':')
  if (memo.size >= MEMO_MAX) memo.clear() // bounded; a miss only costs one hash
  memo.set(nodeName, mac)
  return mac
}

// Hashing dominates a full recompute with 10k nodes; the result depends only on the name.
const MEMO_MAX = 200_000
const memo = new Map<string, string>()

/** Lower-case colon form of a 48-bit MAC (`66:3E:..`, `66-3e-..` accepted); undefined if invalid. */
export function normalizeMac(s: string): string | undefined {
  const m =
    /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(
      s.trim()
    )
  if (m === null) return undefined
  return m.slice(1, 7).join(':').toLowerCase()
}

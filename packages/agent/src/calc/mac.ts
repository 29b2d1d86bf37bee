/**
 * VTEP MAC addresses (pure). Calico derives a node's VXLAN MAC from its name unless the node
 * publishes one: `66` followed by the first five bytes of sha1(node name). 0x66 has the locally
 * administered bit set and the multicast bit clear, so the result is a valid unicast MAC.
 * node:crypto is allowed here: hashing is deterministic and does no I/O.
 */
import { hash } from 'node:crypto'

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

/**
 * Derives the VTEP MAC for `nodeName` (the UNPREFIXED name for remote nodes, so both clusters
 * compute the same MAC). Vectors: `remotehostname` → `66:3e:ca:a4:db:65`.
 */
export function vtepMacForNode(nodeName: string): string {
  // One-shot hash: no Hash object per call (callers memoise per node: VtepCalc).
  const d = hash('sha1', nodeName, 'buffer')
  return `66:${HEX[d[0]!]}:${HEX[d[1]!]}:${HEX[d[2]!]}:${HEX[d[3]!]}:${HEX[d[4]!]}`
}

/** Lower-case colon form of a 48-bit MAC (`66:3E:..`, `66-3e-..` accepted); undefined if invalid. */
export function normalizeMac(s: string): string | undefined {
  const m =
    /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(
      s.trim()
    )
  if (m === null) return undefined
  return m.slice(1, 7).join(':').toLowerCase()
}

/**
 * Felix's rule hash comments (felix-dataplane.md §2.7): every rule we write carries
 * `-m comment --comment "cali:<hash>"` right after `-A <chain>`. The hash is chained per chain, so a
 * rule's hash depends on its position and on every rule before it:
 *
 *   h0 = sha224(chain)
 *   hi = sha224(h(i-1) ‖ "-A <chain> HASH <body>")      hash(i) = base64url(hi)[:16]
 *
 * Drift detection compares these hashes (from `iptables-save`) with the desired ones, so the
 * textual differences between what we write and what `iptables-save` prints never matter.
 */
import { createHash } from 'node:crypto'

/** Prefix of the hash comment (`rulesdefs.RuleHashPrefix`). */
export const RULE_HASH_PREFIX = 'cali:'

/** Length of one rule hash (`generictables.HashLength`). */
export const RULE_HASH_LENGTH = 16

/** The hashes of a chain's rules (rule bodies: what follows `-A <chain> `, without hash comment). */
export function ruleHashes(chain: string, bodies: readonly string[]): string[] {
  let h = createHash('sha224').update(chain).digest()
  const out: string[] = []
  for (const body of bodies) {
    h = createHash('sha224').update(h).update(`-A ${chain} HASH ${body}`).digest()
    out.push(h.toString('base64url').slice(0, RULE_HASH_LENGTH))
  }
  return out
}

/** One rule as written: `-A <chain> -m comment --comment "cali:<hash>" <body>` (no `-A` for inserts). */
export function hashedRule(hash: string, body: string): string {
  return `-m comment --comment "${RULE_HASH_PREFIX}${hash}" ${body}`
}

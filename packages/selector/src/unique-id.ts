/**
 * Selector unique ids and ipset names, byte-compatible with Felix.
 *
 * `uniqueId = "s:" + base64url_nopad(SHA-224("s:" + canonical))` (libcalico-go `hash.MakeUniqueID`);
 * the main ipset of a selector is `cali40` / `cali60` + the id, cut to 31 characters
 * (`ipsets.NameForMainIPSet`, `MaxIPSetNameLength`).
 */
import { createHash } from 'node:crypto'

/** Longest ipset name the kernel accepts (`IPSET_MAXNAMELEN - 1`), in characters. */
export const MAX_IPSET_NAME_LENGTH = 31

/** Calico `hash.MakeUniqueID(prefix, content)`: `prefix:` + base64url_nopad(sha224(`prefix:content`)). */
export function makeUniqueId(prefix: string, content: string): string {
  const digest = createHash('sha224').update(`${prefix}:${content}`, 'utf8').digest('base64url')
  return `${prefix}:${digest}`
}

/** The unique id of a selector from its canonical string: `s:` + 38 base64url characters. */
export function selectorUniqueId(canonical: string): string {
  return makeUniqueId('s', canonical)
}

/**
 * Felix's main ipset name for an ipset id (such as a selector's unique id):
 * `cali40<id>` (IPv4) or `cali60<id>` (IPv6), cut to {@link MAX_IPSET_NAME_LENGTH}.
 */
export function mainIpsetName(id: string, ipVersion: 4 | 6): string {
  return `cali${ipVersion}0${id}`.slice(0, MAX_IPSET_NAME_LENGTH)
}

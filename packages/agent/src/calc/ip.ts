/**
 * IPv4 address and CIDR arithmetic for the calc (pure). Addresses are handled as unsigned 32-bit
 * numbers; CIDRs are normalised to their network address so that `198.19.1.7/26` and
 * `198.19.1.0/26` compare equal. IPv6 is out of scope for part 1: parsers return undefined for it.
 */

/** An IPv4 network: `addr` is the network address (host bits cleared), `len` the prefix length. */
export interface Cidr4 {
  readonly addr: number
  readonly len: number
}

/** Parses a dotted-quad IPv4 address; undefined when malformed (or IPv6). */
export function parseIPv4(s: string): number | undefined {
  return parseIPv4Range(s, 0, s.length)
}

/**
 * Parses the dotted quad in `s[start, end)`: four parts of one to three digits, each ≤ 255
 * (char codes, no split or regex: the calc parses tens of thousands of these per snapshot).
 */
function parseIPv4Range(s: string, start: number, end: number): number | undefined {
  let n = 0
  let part = 0
  let digits = 0
  let dots = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined
      n = n * 256 + part
      part = 0
      digits = 0
      dots++
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48)
      digits++
    } else return undefined
    if (part > 255) return undefined
  }
  if (digits === 0 || dots !== 3) return undefined
  return n * 256 + part
}

/** Parses the prefix length in `s[start, end)`: one or two digits, ≤ 32. */
function parsePrefixLen(s: string, start: number, end: number): number | undefined {
  if (end - start < 1 || end - start > 2) return undefined
  let len = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
    len = len * 10 + (c - 48)
  }
  return len > 32 ? undefined : len
}

/** Formats an unsigned 32-bit number as a dotted quad. */
export function formatIPv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

/** Network mask for a prefix length, as an unsigned 32-bit number. */
export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
}

/** Parses `a.b.c.d/len` (or a bare address as /32); host bits are cleared. Undefined when invalid. */
export function parseCidr4(s: string): Cidr4 | undefined {
  const slash = s.indexOf('/')
  const addr = parseIPv4Range(s, 0, slash < 0 ? s.length : slash)
  if (addr === undefined) return undefined
  const len = slash < 0 ? 32 : parsePrefixLen(s, slash + 1, s.length)
  if (len === undefined) return undefined
  return { addr: (addr & maskOf(len)) >>> 0, len }
}

/** Canonical text of a CIDR (`198.19.1.0/26`). */
export function formatCidr4(c: Cidr4): string {
  return `${formatIPv4(c.addr)}/${c.len}`
}

/** True when address `ip` lies inside `c`. */
export function cidrContainsIp(c: Cidr4, ip: number): boolean {
  return (ip & maskOf(c.len)) >>> 0 === c.addr
}

/** True when `inner` lies entirely inside `outer` (equal counts as inside). */
export function cidrContains(outer: Cidr4, inner: Cidr4): boolean {
  return inner.len >= outer.len && cidrContainsIp(outer, inner.addr)
}

/** True when the two networks share at least one address. */
export function cidrsOverlap(a: Cidr4, b: Cidr4): boolean {
  return cidrContains(a, b) || cidrContains(b, a)
}

/**
 * Splits `198.18.0.2/24` into the address and its network; a bare address yields no network.
 * Undefined when the address is not IPv4.
 */
export function parseAddrWithPrefix(
  s: string
): { readonly ip: string; readonly network: Cidr4 | undefined } | undefined {
  const slash = s.indexOf('/')
  const ip = parseIPv4Range(s, 0, slash < 0 ? s.length : slash)
  if (ip === undefined) return undefined
  // A canonical address is its own text (no leading zeros): no need to format it again.
  const text = slash < 0 ? s : s.slice(0, slash)
  const ipText = isCanonical(text) ? text : formatIPv4(ip)
  if (slash < 0) return { ip: ipText, network: undefined }
  const len = parsePrefixLen(s, slash + 1, s.length)
  if (len === undefined) return undefined
  return { ip: ipText, network: { addr: (ip & maskOf(len)) >>> 0, len } }
}

/** True when a valid dotted quad has no leading zeros (so it equals formatIPv4 of itself). */
function isCanonical(text: string): boolean {
  for (let i = 0; i + 1 < text.length; i++) {
    if (text.charCodeAt(i) === 48 && (i === 0 || text.charCodeAt(i - 1) === 46)) {
      const next = text.charCodeAt(i + 1)
      if (next !== 46) return false
    }
  }
  return true
}

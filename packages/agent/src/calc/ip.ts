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
  const parts = s.split('.')
  if (parts.length !== 4) return undefined
  let n = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined
    const v = Number(p)
    if (v > 255) return undefined
    n = n * 256 + v
  }
  return n
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
  const addr = parseIPv4(slash < 0 ? s : s.slice(0, slash))
  if (addr === undefined) return undefined
  let len = 32
  if (slash >= 0) {
    const l = s.slice(slash + 1)
    if (!/^\d{1,2}$/.test(l)) return undefined
    len = Number(l)
    if (len > 32) return undefined
  }
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
  const ipText = slash < 0 ? s : s.slice(0, slash)
  const ip = parseIPv4(ipText)
  if (ip === undefined) return undefined
  if (slash < 0) return { ip: formatIPv4(ip), network: undefined }
  const network = parseCidr4(s)
  if (network === undefined) return undefined
  return { ip: formatIPv4(ip), network }
}

/**
 * IP address, CIDR and MAC parsing without node:net (this package is pure). Accepts the textual
 * forms Calico accepts: dotted-quad IPv4 (no leading zeros), RFC 4291 IPv6 (with `::` and an
 * embedded IPv4 tail), `<ip>/<prefix>` CIDRs, and colon- or dash-separated 48-bit MACs.
 */

/** IP family. */
export type IpVersion = 4 | 6

const V4_OCTET = /^(0|[1-9][0-9]{0,2})$/

/** Parses dotted-quad IPv4 into 4 bytes; undefined when invalid. */
export function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.')
  if (parts.length !== 4) return undefined
  const out: number[] = []
  for (const p of parts) {
    if (!V4_OCTET.test(p)) return undefined
    const n = Number(p)
    if (n > 255) return undefined
    out.push(n)
  }
  return out
}

const V6_GROUP = /^[0-9a-fA-F]{1,4}$/

/** Parses IPv6 into 8 16-bit groups; undefined when invalid. Zone ids (`%eth0`) are rejected. */
export function parseIPv6(s: string): number[] | undefined {
  if (s.length === 0 || s.includes('%')) return undefined
  const halves = s.split('::')
  if (halves.length > 2) return undefined
  const groupsOf = (part: string, allowV4Tail: boolean): number[] | undefined => {
    if (part === '') return []
    const items = part.split(':')
    const out: number[] = []
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as string
      if (allowV4Tail && i === items.length - 1 && item.includes('.')) {
        const v4 = parseIPv4(item)
        if (v4 === undefined) return undefined
        out.push(
          ((v4[0] as number) << 8) | (v4[1] as number),
          ((v4[2] as number) << 8) | (v4[3] as number)
        )
        continue
      }
      if (!V6_GROUP.test(item)) return undefined
      out.push(parseInt(item, 16))
    }
    return out
  }
  if (halves.length === 1) {
    const g = groupsOf(s, true)
    return g !== undefined && g.length === 8 ? g : undefined
  }
  const head = groupsOf(halves[0] as string, false)
  const tail = groupsOf(halves[1] as string, true)
  if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
}

/** The IP version of `s`, or undefined when it is not an IP address. */
export function ipVersionOf(s: string): IpVersion | undefined {
  if (parseIPv4(s) !== undefined) return 4
  if (parseIPv6(s) !== undefined) return 6
  return undefined
}

/** True when `s` is an IPv4 or IPv6 address (no prefix). */
export const isValidIp = (s: string): boolean => ipVersionOf(s) !== undefined

/** A parsed CIDR. */
export interface ParsedCidr {
  readonly ip: string
  readonly prefixLength: number
  readonly version: IpVersion
}

/** Parses `<ip>/<prefix>`; undefined when invalid. Host bits may be set (as in `10.0.0.5/24`). */
export function parseCidr(s: string): ParsedCidr | undefined {
  const slash = s.indexOf('/')
  if (slash < 0) return undefined
  const ip = s.slice(0, slash)
  const prefix = s.slice(slash + 1)
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefix)) return undefined
  const version = ipVersionOf(ip)
  if (version === undefined) return undefined
  const prefixLength = Number(prefix)
  if (prefixLength > (version === 4 ? 32 : 128)) return undefined
  return { ip, prefixLength, version }
}

/** True when `s` is a valid CIDR. */
export const isValidCidr = (s: string): boolean => parseCidr(s) !== undefined

/**
 * Turns an address or CIDR into a CIDR: `10.0.0.5` → `10.0.0.5/32`, `fd00::1` → `fd00::1/128`,
 * CIDRs unchanged. Undefined when `s` is neither.
 */
export function toCidr(s: string): string | undefined {
  if (s.includes('/')) return isValidCidr(s) ? s : undefined
  const v = ipVersionOf(s)
  if (v === undefined) return undefined
  return `${s}/${v === 4 ? 32 : 128}`
}

const MAC = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/

/** True when `s` is a 48-bit MAC address (`aa:bb:cc:dd:ee:ff` or with dashes). */
export const isValidMac = (s: string): boolean => MAC.test(s)

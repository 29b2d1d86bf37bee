/**
 * Felix's names for chains and policy ids (felix-dataplane.md §2.1): `GetLengthLimitedID` keeps
 * `prefix + suffix` when it fits in 28 characters, else `prefix + "_" + base64url(sha256(suffix))`
 * cut to fit. Policy ids are `<kindShort>/[<ns>/]<name>`.
 */
import { createHash } from 'node:crypto'

/** iptables chain-name limit Felix uses (`MaxChainNameLength`). */
export const MAX_CHAIN_NAME_LENGTH = 28

/** Calico `hash.GetLengthLimitedID(prefix, suffix, maxLength)`. */
export function lengthLimitedId(prefix: string, suffix: string, maxLength: number): string {
  const s = suffix === '' ? '_' : suffix
  const whole = prefix + s
  const tooLong = whole.length > maxLength
  const ambiguous = whole.length === maxLength && s.startsWith('_')
  if (!tooLong && !ambiguous) return whole
  const hash = createHash('sha256').update(s, 'utf8').digest('base64url')
  return `${prefix}_${hash.slice(0, maxLength - 1 - prefix.length)}`
}

/** Chain prefixes of per-object chains. */
export const CHAIN_PREFIX = {
  toWorkload: 'cali-tw-',
  fromWorkload: 'cali-fw-',
  policyIn: 'cali-pi-',
  policyOut: 'cali-po-',
  profileIn: 'cali-pri-',
  profileOut: 'cali-pro-',
} as const

/** A per-object chain name, hashed when too long. */
export const chainName = (prefix: string, suffix: string): string =>
  lengthLimitedId(prefix, suffix, MAX_CHAIN_NAME_LENGTH)

/** Short kind of a Kubernetes NetworkPolicy converted by the model (`knp.default.<name>`). */
export const KNP_NAME_PREFIX = 'knp.default.'

/**
 * Felix's policy id: `np/<ns>/<name>`, `gnp/<name>`, or `knp/<ns>/<name>` for a converted
 * Kubernetes NetworkPolicy (its `knp.default.` name prefix dropped).
 */
export function policyId(
  kind: 'NetworkPolicy' | 'GlobalNetworkPolicy',
  name: string,
  namespace: string | undefined
): string {
  if (kind === 'GlobalNetworkPolicy') return `gnp/${name}`
  if (name.startsWith(KNP_NAME_PREFIX)) {
    return `knp/${namespace ?? ''}/${name.slice(KNP_NAME_PREFIX.length)}`
  }
  return `np/${namespace ?? ''}/${name}`
}

/** Renders a mark as iptables prints it: `0x10000`; 0 is `0`. */
export const hex = (n: number): string => (n === 0 ? '0' : `0x${n.toString(16)}`)

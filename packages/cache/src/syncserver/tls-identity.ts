/**
 * Client certificate checks for mutual TLS (Typha's tlsutils): after the TLS layer has verified
 * the chain against the configured CA, the certificate's subject CN **or** one of its URI SANs
 * must be on the allow-list.
 */
import type { PeerCertificate } from 'node:tls'

/** The allow-lists; a client matching either is accepted. */
export interface ClientIdentityPolicy {
  readonly allowedCNs: readonly string[]
  readonly allowedURISANs: readonly string[]
}

/** The identity of a presented certificate. */
export interface ClientIdentity {
  readonly cn: string | undefined
  readonly uriSans: readonly string[]
}

/** Extracts CN and URI SANs from a peer certificate (Node's `subjectaltname` string form). */
export function clientIdentity(
  cert: Pick<PeerCertificate, 'subject' | 'subjectaltname'>
): ClientIdentity {
  const rawCn = (cert.subject as Record<string, string | string[] | undefined> | undefined)?.['CN']
  const cn = Array.isArray(rawCn) ? rawCn[0] : rawCn
  const uriSans = (cert.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('URI:'))
    .map((s) => s.slice(4))
  return { cn, uriSans }
}

/** True when the identity matches the policy (CN or any URI SAN). */
export function isClientAllowed(id: ClientIdentity, policy: ClientIdentityPolicy): boolean {
  if (id.cn !== undefined && policy.allowedCNs.includes(id.cn)) return true
  return id.uriSans.some((u) => policy.allowedURISANs.includes(u))
}

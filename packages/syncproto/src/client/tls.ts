/**
 * TLS options for the client's WebSocket, with Typha's server identity rule: the chain must
 * verify against the configured CA, and when an expected CN and/or URI SAN is configured the
 * server certificate must carry one of them (host names are then not checked, as in Typha);
 * otherwise Node's normal host name check applies.
 */
import { checkServerIdentity, type PeerCertificate } from 'node:tls'
import { PeerIdentityError } from '../errors.js'
import type { SyncClientTlsConfig } from './config.js'

/** The subset of ws/tls client options this module sets. */
export interface ClientTlsOptions {
  readonly ca: string
  readonly cert: string
  readonly key: string
  readonly rejectUnauthorized: true
  readonly minVersion: 'TLSv1.2'
  readonly servername?: string
  readonly checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined
}

/** Builds the options passed to `new WebSocket(url, options)`. */
export function clientTlsOptions(tls: SyncClientTlsConfig): ClientTlsOptions {
  return {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ...(tls.serverName !== undefined && { servername: tls.serverName }),
    checkServerIdentity: (host, cert) => verifyServerIdentity(tls, host, cert),
  }
}

/** Returns an error when `cert` does not satisfy the configured identity rule. */
export function verifyServerIdentity(
  tls: SyncClientTlsConfig,
  host: string,
  cert: PeerCertificate
): Error | undefined {
  const wantCn = tls.expectedServerCN
  const wantUri = tls.expectedServerURISAN
  if (wantCn === undefined && wantUri === undefined) {
    return checkServerIdentity(tls.serverName ?? host, cert)
  }
  const cns = certCommonNames(cert)
  const uris = certUriSans(cert)
  if (wantCn !== undefined && cns.includes(wantCn)) return undefined
  if (wantUri !== undefined && uris.includes(wantUri)) return undefined
  return new PeerIdentityError(
    `server certificate has CN [${cns.join(',')}] and URI SANs [${uris.join(',')}], ` +
      `expected CN ${wantCn ?? '(any)'} or URI SAN ${wantUri ?? '(any)'}`
  )
}

function certCommonNames(cert: PeerCertificate): string[] {
  const cn = (cert.subject as Record<string, string | string[] | undefined> | undefined)?.CN
  return cn === undefined ? [] : Array.isArray(cn) ? cn : [cn]
}

/** URI entries of `subjectaltname` ("DNS:a, URI:spiffe://x"; Node JSON-quotes odd values). */
function certUriSans(cert: PeerCertificate): string[] {
  const out: string[] = []
  for (const part of (cert.subjectaltname ?? '').split(', ')) {
    if (part.startsWith('URI:')) {
      const v = part.slice(4)
      out.push(v.startsWith('"') ? (JSON.parse(v) as string) : v)
    }
  }
  return out
}

/**
 * Test PKI made with the `openssl` CLI: a CA, a server certificate for 127.0.0.1/localhost and
 * client certificates with a chosen CN and/or URI SAN. Files are written to a temp folder; the
 * PEM contents are returned as strings too.
 */
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A key pair with its certificate, as paths and PEM strings. */
export interface TestCert {
  readonly certFile: string
  readonly keyFile: string
  readonly cert: string
  readonly key: string
}

/** A certificate authority that can issue more certificates. */
export interface TestCa extends TestCert {
  /** Issues a certificate signed by this CA. */
  issue(name: string, opts: IssueOptions): Promise<TestCert>
}

/** What goes into an issued certificate. */
export interface IssueOptions {
  readonly cn?: string
  readonly uriSan?: string
  /** DNS names and IPs for a server certificate. */
  readonly dnsNames?: readonly string[]
  readonly ips?: readonly string[]
  readonly usage: 'server' | 'client'
}

/** Creates a new self-signed CA in `dir`. */
export async function makeTestCa(dir: string, name = 'ca'): Promise<TestCa> {
  const keyFile = join(dir, `${name}.key`)
  const certFile = join(dir, `${name}.crt`)
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile])
  await run('openssl', [
    'req',
    '-x509',
    '-new',
    '-key',
    keyFile,
    '-sha256',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    certFile,
  ])
  const ca: TestCa = {
    certFile,
    keyFile,
    cert: await readFile(certFile, 'utf8'),
    key: await readFile(keyFile, 'utf8'),
    issue: (certName, opts) => issue(dir, ca, certName, opts),
  }
  return ca
}

async function issue(
  dir: string,
  ca: TestCert,
  name: string,
  opts: IssueOptions
): Promise<TestCert> {
  const keyFile = join(dir, `${name}.key`)
  const csrFile = join(dir, `${name}.csr`)
  const certFile = join(dir, `${name}.crt`)
  const extFile = join(dir, `${name}.ext`)
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile])
  const subj = opts.cn !== undefined ? `/CN=${opts.cn}` : '/O=cattail-test'
  await run('openssl', ['req', '-new', '-key', keyFile, '-subj', subj, '-out', csrFile])
  const sans = [
    ...(opts.dnsNames ?? []).map((d) => `DNS:${d}`),
    ...(opts.ips ?? []).map((i) => `IP:${i}`),
    ...(opts.uriSan !== undefined ? [`URI:${opts.uriSan}`] : []),
  ]
  const ext = [
    'basicConstraints=CA:FALSE',
    `extendedKeyUsage=${opts.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
  ]
  await writeFile(extFile, ext.join('\n') + '\n')
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csrFile,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    extFile,
    '-out',
    certFile,
  ])
  return {
    certFile,
    keyFile,
    cert: await readFile(certFile, 'utf8'),
    key: await readFile(keyFile, 'utf8'),
  }
}

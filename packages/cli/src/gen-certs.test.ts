/**
 * scripts/gen-certs.sh: the certificates it makes do mutual TLS (cache server, agent client, CN
 * checks as the manifests configure them), and it stores them as the Secrets the manifests mount.
 */
import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, createServer, type TLSSocket } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { type TempDir, tempDir } from '@cattail/common/testing'
import { type TestApiServer, startTestApiServer } from '@cattail/testapi'

const SCRIPT = fileURLToPath(new URL('../../../scripts/gen-certs.sh', import.meta.url))

const run = (args: readonly string[]): Promise<{ code: number; stderr: string }> =>
  new Promise((resolve) => {
    execFile('bash', [SCRIPT, ...args], { timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stderr })
    })
  })

void describe('scripts/gen-certs.sh', () => {
  let api: TestApiServer
  let dir: TempDir
  before(async () => {
    api = await startTestApiServer()
    dir = await tempDir('cattail-gen-certs-')
  })
  after(async () => {
    await api.stop()
    await dir.remove()
  })

  void it('issues certificates that complete a mutual TLS handshake with the CNs the manifests check', async () => {
    const out = join(dir.path, 'pem')
    const r = await run(['--out', out, '--no-apply'])
    assert.equal(r.code, 0, r.stderr)
    const pem = async (f: string): Promise<string> => await readFile(join(out, f), 'utf8')
    const [ca, cacheCrt, cacheKey, agentCrt, agentKey] = await Promise.all(
      ['ca.crt', 'cache.crt', 'cache.key', 'agent.crt', 'agent.key'].map(pem)
    )
    const server = createServer({ cert: cacheCrt, key: cacheKey, ca, requestCert: true })
    const seen = new Promise<string>((resolve, reject) => {
      server.on('secureConnection', (s: TLSSocket) => {
        if (!s.authorized) reject(new Error(String(s.authorizationError)))
        const cn = s.getPeerCertificate().subject.CN
        resolve(Array.isArray(cn) ? cn.join() : (cn ?? ''))
        s.end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const addr = server.address()
      assert.ok(typeof addr === 'object' && addr !== null)
      const serverCn = await new Promise<string>((resolve, reject) => {
        const c = connect({
          host: '127.0.0.1',
          port: addr.port,
          ca,
          cert: agentCrt,
          key: agentKey,
          servername: 'cattail-cache.cattail-system.svc',
        })
        c.on('secureConnect', () => {
          const cn = c.getPeerCertificate().subject.CN
          resolve(Array.isArray(cn) ? cn.join() : (cn ?? ''))
          c.end()
        })
        c.on('error', reject)
      })
      assert.equal(serverCn, 'cattail-cache')
      assert.equal(await seen, 'cattail-agent')
    } finally {
      server.close()
    }
  })

  void it('stores the Secrets cattail-cache-tls and cattail-agent-tls (tls.crt, tls.key, ca.crt)', async () => {
    const kubeconfig = await api.writeKubeconfig(dir.path)
    const r = await run(['--kubeconfig', kubeconfig])
    assert.equal(r.code, 0, r.stderr)
    for (const name of ['cattail-cache-tls', 'cattail-agent-tls']) {
      const s = api.get('secrets', name, 'cattail-system')
      assert.deepEqual(Object.keys(s?.['data'] ?? {}).sort(), ['ca.crt', 'tls.crt', 'tls.key'])
    }
  })

  void it('refuses --no-apply without --out', async () => {
    const r = await run(['--no-apply'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--no-apply needs --out/)
  })
})

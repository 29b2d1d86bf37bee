import { strict as assert } from 'node:assert'
import { after, describe, it } from 'node:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '@cattail/common'
import { tempDir, type TempDir } from '@cattail/common/testing'
import { cacheCommand } from './command.js'
import {
  DEFAULT_CACHE_CONFIG,
  configLogFields,
  envName,
  parseConfig,
  type CacheConfig,
} from './config.js'

async function parse(args: string[], env: Record<string, string> = {}): Promise<CacheConfig> {
  const saved = { ...process.env }
  Object.assign(process.env, env)
  try {
    let got: CacheConfig | undefined
    const cmd = cacheCommand({ run: (cfg) => Promise.resolve((got = cfg)) })
    cmd.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    await cmd.parseAsync(args, { from: 'user' })
    assert.ok(got !== undefined)
    return got
  } finally {
    for (const k of Object.keys(env)) delete process.env[k]
    Object.assign(process.env, saved)
  }
}

void describe('cache config', () => {
  let dir: TempDir | undefined
  after(async () => dir?.remove())

  void it('defaults give DEFAULT_CACHE_CONFIG, frozen', async () => {
    const cfg = await parse([])
    assert.deepEqual(cfg, DEFAULT_CACHE_CONFIG)
    assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.server))
  })

  void it('precedence is default < file < env < flag', async () => {
    dir = await tempDir('cattail-cache-cfg-')
    const file = join(dir.path, 'cache.yaml')
    await writeFile(file, 'port: 6001\npingIntervalMs: 2000\nmaxBatchSize: 50\nretainMs: 1234\n')
    const cfg = await parse(['--config-file', file, '--port', '6003', '--batch-window-ms', '0'], {
      CATTAIL_CACHE_PORT: '6002',
      CATTAIL_CACHE_PING_INTERVAL_MS: '3000',
    })
    assert.equal(cfg.server.port, 6003, 'flag beats env and file')
    assert.equal(cfg.server.pingIntervalMs, 3000, 'env beats file')
    assert.equal(cfg.cache.maxBatchSize, 50, 'file beats default')
    assert.equal(cfg.cache.retainMs, 1234)
    assert.equal(cfg.cache.batchWindowMs, 0, 'flag')
    assert.equal(DEFAULT_CACHE_CONFIG.cache.batchWindowMs, 5)
    assert.equal(cfg.server.pongTimeoutMs, DEFAULT_CACHE_CONFIG.server.pongTimeoutMs, 'default')
    assert.equal(envName('pingIntervalMs'), 'CATTAIL_CACHE_PING_INTERVAL_MS')
  })

  void it('lists every problem in one ConfigError', () => {
    let err: unknown
    try {
      parseConfig({
        datastoreType: 'etcdv3',
        port: 'abc',
        pingIntervalMs: '0',
        tlsCertFile: '/x.crt',
        healthEnabled: 'maybe',
        etcdEndpoints: 'ftp://x',
      })
    } catch (e) {
      err = e
    }
    assert.ok(err instanceof ConfigError)
    const text = err.problems.join('\n')
    for (const want of [
      '--port',
      '--ping-interval-ms',
      '--tls-cert-file, --tls-key-file and --tls-ca-file',
      '--client-cn or --client-uri-san',
      '--health-enabled',
      '--etcd-endpoints',
    ]) {
      assert.ok(text.includes(want), `missing problem about ${want} in:\n${text}`)
    }
    assert.ok(err.problems.length >= 6)
  })

  void it('builds datastore and TLS settings and keeps secrets out of the log fields', async () => {
    const cfg = await parse([
      '--datastore-type',
      'etcdv3',
      '--etcd-endpoints',
      'http://127.0.0.1:2379, https://198.18.0.2:2379',
      '--etcd-username',
      'root',
      '--etcd-password',
      's3cret',
      '--tls-cert-file',
      '/c.crt',
      '--tls-key-file',
      '/c.key',
      '--tls-ca-file',
      '/ca.crt',
      '--client-uri-san',
      'spiffe://cattail/agent',
    ])
    assert.deepEqual(cfg.datastore.type === 'etcdv3' && cfg.datastore.endpoints, [
      'http://127.0.0.1:2379',
      'https://198.18.0.2:2379',
    ])
    assert.deepEqual(cfg.server.tls?.allowedURISANs, ['spiffe://cattail/agent'])
    const fields = JSON.stringify(configLogFields(cfg))
    assert.ok(!fields.includes('s3cret'))
    assert.ok(fields.includes('hasPassword'))
  })

  void it('rejects unknown keys in the config file and bad choices on the command line', async () => {
    dir ??= await tempDir('cattail-cache-cfg-')
    const file = join(dir.path, 'bad.yaml')
    await writeFile(file, 'prot: 1\n')
    await assert.rejects(
      parse(['--config-file', file]),
      (e: unknown) => e instanceof ConfigError && /unknown key "prot"/.test(e.message)
    )
    await assert.rejects(
      parse(['--datastore-type', 'consul']),
      /Allowed choices are kubernetes, etcdv3, file/
    )
  })

  void it('--help explains each option with its default and env var', () => {
    const help = cacheCommand().helpInformation().replace(/\s+/g, ' ')
    assert.match(
      help,
      /--port <port> sync server port \(default: "5473", env: CATTAIL_CACHE_PORT\)/
    )
    assert.match(help, /--etcd-endpoints <urls>.*env: CATTAIL_CACHE_ETCD_ENDPOINTS/)
    assert.match(help, /--config-file <file>/)
  })

  void it('the old TLS flag spelling still works, with a deprecation warning each', async () => {
    const cfg = await parse([
      '--tls-cert',
      '/c.crt',
      '--tls-key-file',
      '/c.key',
      '--tls-ca',
      '/ca.crt',
      '--client-cn',
      'cattail-agent',
    ])
    assert.equal(cfg.server.tls?.certFile, '/c.crt')
    assert.equal(cfg.server.tls?.keyFile, '/c.key')
    assert.equal(cfg.server.tls?.caFile, '/ca.crt')
    assert.deepEqual(cfg.deprecations, [
      '--tls-cert (CATTAIL_CACHE_TLS_CERT) is deprecated; use --tls-cert-file',
      '--tls-ca (CATTAIL_CACHE_TLS_CA) is deprecated; use --tls-ca-file',
    ])
    assert.deepEqual((await parse([])).deprecations, [])
    assert.throws(
      () => parseConfig({ tlsCert: '/a', tlsCertFile: '/b' }),
      /--tls-cert and --tls-cert-file: the same setting given twice/
    )
  })

  void it('parses the hostile-client, remote-guard and TLS reload flags', async () => {
    const d = await parse([])
    assert.equal(d.server.maxPendingHandshakes, 1000)
    assert.equal(d.server.maxConnectionsPerSource, 64)
    assert.deepEqual(d.remotes.serviceCidrs, [])
    assert.equal(d.remotes.objectLimit, 200_000)
    assert.equal(d.remotes.secretsNamespace, 'cattail-system')
    const cfg = await parse([
      '--max-pending-handshakes',
      '5',
      '--max-connections-per-source',
      '0',
      '--tls-reload-interval-ms',
      '250',
      '--service-cluster-ip-range',
      '10.96.0.0/12, fd00:10:96::/112',
      '--remote-object-limit',
      '7',
    ])
    assert.equal(cfg.server.maxPendingHandshakes, 5)
    assert.equal(cfg.server.maxConnectionsPerSource, 0)
    assert.equal(cfg.server.tlsReloadIntervalMs, 250)
    assert.deepEqual(cfg.remotes.serviceCidrs, ['10.96.0.0/12', 'fd00:10:96::/112'])
    assert.equal(cfg.remotes.objectLimit, 7)
    assert.throws(
      () => parseConfig({ serviceClusterIpRange: '10.96.0.0/33' }),
      /--service-cluster-ip-range: "10.96.0.0\/33" is not a CIDR/
    )
  })
})

void describe('cache config: --allow-remote-kubeconfig-exec', () => {
  void it('is off by default and set by flag, env or config file', async () => {
    assert.equal(DEFAULT_CACHE_CONFIG.remotes.allowKubeconfigExec, false)
    assert.equal((await parse([])).remotes.allowKubeconfigExec, false)
    const flag = await parse(['--allow-remote-kubeconfig-exec', 'true'])
    assert.equal(flag.remotes.allowKubeconfigExec, true)
    const env = envName('allowRemoteKubeconfigExec')
    assert.equal(env, 'CATTAIL_CACHE_ALLOW_REMOTE_KUBECONFIG_EXEC')
    assert.equal((await parse([], { [env]: 'true' })).remotes.allowKubeconfigExec, true)
    const dir = await tempDir('cattail-cache-exec-')
    try {
      const file = join(dir.path, 'cache.yaml')
      await writeFile(file, 'allowRemoteKubeconfigExec: true\n')
      const cfg = await parse(['--config-file', file])
      assert.equal(cfg.remotes.allowKubeconfigExec, true)
    } finally {
      await dir.remove()
    }
  })
})

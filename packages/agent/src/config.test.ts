import { strict as assert } from 'node:assert'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Command } from 'commander'
import { ConfigError } from '@cattail/common'
import { tempDir } from '@cattail/common/testing'
import {
  addAgentOptions,
  applyAgentConfigFile,
  parseAgentConfig,
  type AgentConfig,
} from './config.js'

async function parse(argv: string[], env: Record<string, string> = {}): Promise<AgentConfig> {
  const saved = { ...process.env }
  for (const k of Object.keys(process.env))
    if (k.startsWith('CATTAIL_AGENT_') || k.startsWith('FELIX_') || k === 'NODENAME')
      delete process.env[k]
  Object.assign(process.env, env)
  try {
    const cmd = addAgentOptions(new Command('agent')).exitOverride()
    cmd.parse(argv, { from: 'user' })
    return parseAgentConfig(await applyAgentConfigFile(cmd, process.env))
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
}

void describe('agent config', () => {
  void it('defaults are Calico defaults', async () => {
    const cfg = await parse(['--node-name', 'n1', '--cache-addresses', 'ws://127.0.0.1:5473'])
    assert.equal(cfg.vxlan.deviceName, 'vxlan.calico')
    assert.equal(cfg.vxlan.vni, 4096)
    assert.equal(cfg.vxlan.port, 4789)
    assert.equal(cfg.vxlan.mtu, 0)
    assert.equal(cfg.vxlan.routeProtocol, 80)
    assert.equal(cfg.resyncIntervalMs, 90_000)
    assert.deepEqual(cfg.health, { enabled: true, host: '127.0.0.1', port: 9099 })
    assert.equal(cfg.metrics.port, 9092)
    assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.vxlan))
  })

  void it('precedence: default < file < env < flag, and NODENAME as a fallback', async () => {
    const dir = await tempDir('ct-agent-cfg-')
    try {
      const file = join(dir.path, 'agent.yaml')
      await writeFile(
        file,
        'nodeName: from-file\ncacheAddresses: [ws://file:1]\nvxlanVni: 10\nvxlanPort: 11\nrouteProtocol: 90\n'
      )
      const cfg = await parse(['--config-file', file, '--vxlan-port', '13'], {
        CATTAIL_AGENT_VXLAN_PORT: '12',
        CATTAIL_AGENT_VXLAN_VNI: '20',
      })
      assert.equal(cfg.nodeName, 'from-file')
      assert.deepEqual(cfg.cacheAddresses, ['ws://file:1'])
      assert.equal(cfg.vxlan.vni, 20) // env beats file
      assert.equal(cfg.vxlan.port, 13) // flag beats env
      assert.equal(cfg.vxlan.routeProtocol, 90) // file beats default
      const viaEnv = await parse(['--cache-addresses', 'ws://a:1'], { NODENAME: 'k8s-node' })
      assert.equal(viaEnv.nodeName, 'k8s-node')
    } finally {
      await dir.remove()
    }
  })

  void it("Felix's FELIX_HEALTHPORT / FELIX_HEALTHHOST apply only when our own option is unset", async () => {
    const base = ['--node-name', 'n1', '--cache-addresses', 'ws://a:1']
    const felix = { FELIX_HEALTHPORT: '9199', FELIX_HEALTHHOST: '127.0.0.2' }
    assert.deepEqual((await parse(base, felix)).health, {
      enabled: true,
      host: '127.0.0.2',
      port: 9199,
    })
    const ours = await parse([...base, '--health-port', '9299'], {
      ...felix,
      CATTAIL_AGENT_HEALTH_HOST: '127.0.0.3',
    })
    assert.equal(ours.health.port, 9299)
    assert.equal(ours.health.host, '127.0.0.3')
    assert.equal((await parse(base)).health.port, 9099)
    assert.equal((await parse(base)).commandTimeoutMs, 10_000)
    assert.equal((await parse(base)).watchdogTimeoutMs, 90_000)
    assert.equal((await parse(base)).hostProcDir, '/proc')
  })

  void it('one ConfigError lists every problem', async () => {
    await assert.rejects(
      parse([
        '--vxlan-vni',
        '0',
        '--route-protocol',
        '2',
        '--cache-addresses',
        'ftp://x:1',
        '--tls-ca-file',
        'ca.pem',
      ]),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError)
        const text = err.problems.join('\n')
        for (const want of [
          '--node-name',
          '--vxlan-vni',
          '--route-protocol',
          'go together',
          'must use ws://',
        ]) {
          assert.ok(text.includes(want), `missing ${want} in ${text}`)
        }
        return true
      }
    )
  })

  void it('--cache-service (flag or env) alone, or with static addresses', async () => {
    const svc = await parse(['--node-name', 'n1'], {
      CATTAIL_AGENT_CACHE_SERVICE: 'cattail-system/cattail-cache',
    })
    assert.deepEqual(svc.cacheAddresses, [])
    assert.deepEqual(svc.cacheService, {
      namespace: 'cattail-system',
      name: 'cattail-cache',
      portName: 'cattail-cache',
      kubeconfig: undefined,
    })
    const both = await parse([
      '--node-name',
      'n1',
      '--cache-addresses',
      'ws://a:1',
      '--cache-service',
      'ns/svc',
      '--cache-port-name',
      'sync',
      '--kubeconfig',
      '/etc/kube.yaml',
    ])
    assert.deepEqual(both.cacheAddresses, ['ws://a:1'])
    assert.deepEqual(both.cacheService, {
      namespace: 'ns',
      name: 'svc',
      portName: 'sync',
      kubeconfig: '/etc/kube.yaml',
    })
    assert.equal(
      (await parse(['--node-name', 'n1', '--cache-addresses', 'ws://a:1'])).cacheService,
      undefined
    )
  })

  void it('cache options are checked together', async () => {
    const problems = async (argv: string[]): Promise<string> => {
      try {
        await parse(['--node-name', 'n1', ...argv])
      } catch (err) {
        assert.ok(err instanceof ConfigError)
        return err.problems.join('\n')
      }
      assert.fail(`no ConfigError for ${argv.join(' ')}`)
    }
    assert.match(await problems([]), /--cache-addresses or --cache-service: at least one/)
    assert.match(await problems(['--cache-service', 'justaname']), /<namespace>\/<name>/)
    assert.match(await problems(['--cache-service', 'a/b/c']), /<namespace>\/<name>/)
    assert.match(await problems(['--cache-service', 'Bad/name']), /<namespace>\/<name>/)
    assert.match(
      await problems(['--cache-service', 'ns/svc', '--cache-port-name', 'no_underscores']),
      /--cache-port-name/
    )
    assert.match(
      await problems(['--cache-addresses', 'ws://a:1', '--kubeconfig', 'k.yaml']),
      /--kubeconfig: only used with --cache-service/
    )
    assert.match(
      await problems(['--cache-service', 'ns/svc', '--cache-addresses', 'wss://a:1']),
      /wss:\/\/ needs --tls-ca-file/
    )
  })

  void it('rejects unknown config-file keys', async () => {
    const dir = await tempDir('ct-agent-cfg-')
    try {
      const file = join(dir.path, 'agent.yaml')
      await writeFile(file, 'nodeName: n\nbogus: 1\n')
      await assert.rejects(parse(['--config-file', file]), /unknown key "bogus"/)
    } finally {
      await dir.remove()
    }
  })
})

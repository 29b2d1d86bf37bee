import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Command } from 'commander'
import { ConfigError } from './errors.js'
import {
  addOptions,
  applyConfigFile,
  envNameFor,
  readOptionValues,
  type OptionSpec,
} from './cli-options.js'
import { tempDir } from './testing/net.js'

const SPECS: readonly OptionSpec[] = [
  { key: 'port', flag: '--port <n>', kind: 'int', help: 'port', default: '5473' },
  { key: 'host', flag: '--host <a>', kind: 'string', help: 'host', default: '0.0.0.0' },
  { key: 'mode', flag: '--mode <m>', kind: 'string', help: 'mode', choices: ['a', 'b'] },
  { key: 'tls', flag: '--tls <b>', kind: 'bool', help: 'tls', default: 'false' },
  { key: 'peers', flag: '--peers <l>', kind: 'list', help: 'peers' },
]

async function parse(argv: string[], env: Record<string, string>, file?: string) {
  const saved = { ...process.env }
  Object.assign(process.env, env)
  try {
    const cmd = addOptions(new Command('x').exitOverride(), SPECS, 'CT_TEST')
    cmd.parse(['node', 'x', ...(file !== undefined ? ['--config-file', file] : []), ...argv])
    return await applyConfigFile(cmd, SPECS)
  } finally {
    for (const k of Object.keys(env)) delete process.env[k]
    Object.assign(process.env, saved)
  }
}

describe('cli options', () => {
  it('names env vars after the key', () => {
    assert.equal(envNameFor('CATTAIL_CACHE', 'etcdEndpoints'), 'CATTAIL_CACHE_ETCD_ENDPOINTS')
  })

  it('applies default < file < env < flag', async () => {
    const dir = await tempDir()
    try {
      const file = join(dir.path, 'c.yaml')
      await writeFile(file, 'port: 1000\nhost: file-host\npeers: [a, b]\ntls: true\n')
      const raw = await parse(['--port', '3000'], { CT_TEST_HOST: 'env-host' }, file)
      const { values, problems } = readOptionValues(SPECS, raw)
      assert.deepEqual(problems, [])
      assert.equal(values.int('port'), 3000) // flag beats file
      assert.equal(values.str('host'), 'env-host') // env beats file
      assert.deepEqual(values.list('peers'), ['a', 'b']) // file beats default
      assert.equal(values.bool('tls'), true)
    } finally {
      await dir.remove()
    }
  })

  it('lists every bad value at once, and rejects unknown file keys', async () => {
    const { problems } = readOptionValues(SPECS, { port: 'x', mode: 'c', tls: 'maybe' })
    assert.equal(problems.length, 3)
    const dir = await tempDir()
    try {
      const file = join(dir.path, 'c.yaml')
      await writeFile(file, 'bogus: 1\n')
      await assert.rejects(
        parse([], {}, file),
        (e: unknown) => e instanceof ConfigError && /unknown key "bogus"/.test(e.message)
      )
      await writeFile(file, '- a\n')
      await assert.rejects(parse([], {}, file), /expected a map/)
    } finally {
      await dir.remove()
    }
  })
})

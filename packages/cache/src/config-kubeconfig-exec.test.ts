import { strict as assert } from 'node:assert'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { tempDir } from '@cattail/common/testing'
import { cacheCommand } from './command.js'
import { DEFAULT_CACHE_CONFIG, envName, type CacheConfig } from './config.js'

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

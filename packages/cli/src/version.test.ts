import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { buildProgram } from './program.js'
import { CATTAIL_VERSION } from '@cattail/common'
import { cattailArgv } from './lab/mesh-lab.js'
import { bashCompletion, zshCompletion } from './version.js'

/** Runs the bash completion function for `words` (the last one being completed). */
const complete = (words: readonly string[]): Promise<string[]> =>
  new Promise((resolve, reject) => {
    const script = `${bashCompletion(buildProgram())}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_cattail; printf '%s\\n' "\${COMPREPLY[@]}"`
    execFile('bash', ['-c', script], (err, stdout, stderr) => {
      if (err !== null) reject(new Error(stderr))
      else resolve(stdout.split('\n').filter((l) => l !== ''))
    })
  })

void describe('cattail version and completion', () => {
  void it('prints the root package.json version', async () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')
    ) as {
      version: string
    }
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [...cattailArgv().slice(1), 'version'], (err, stdout, stderr) =>
        err !== null ? reject(new Error(stderr)) : resolve(stdout)
      )
    )
    assert.equal(out.trim(), `cattail ${pkg.version}`)
    assert.equal(CATTAIL_VERSION, pkg.version)
  })

  void it('completes subcommands and their options in bash', async () => {
    assert.deepEqual(await complete(['cattail', 'st']), ['status'])
    assert.deepEqual(await complete(['cattail', 'co']), ['completion'])
    assert.deepEqual(await complete(['cattail', 'status', '--time']), ['--timeout-ms'])
    assert.ok((await complete(['cattail', 'cache', '--'])).includes('--secrets-namespace'))
    assert.deepEqual(await complete(['cattail', 'completion', 'z']), ['zsh'])
  })

  void it('wraps the bash script for zsh', () => {
    const z = zshCompletion(buildProgram())
    assert.match(z, /^#compdef cattail/)
    assert.match(z, /bashcompinit/)
    assert.match(z, /complete -F _cattail cattail/)
  })
})

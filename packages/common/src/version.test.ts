import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { it } from 'node:test'
import { CATTAIL_VERSION } from './version.js'

void it('the version is the root package.json version', () => {
  const root = JSON.parse(
    readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')
  ) as { version: string }
  assert.equal(CATTAIL_VERSION, root.version)
  assert.notEqual(CATTAIL_VERSION, '0.0.0-unknown')
})

import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

void describe('federation benchmark', () => {
  void it('runs with --quick and ends with one JSON line describing the run', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'scripts/bench/federation.ts', '--quick'],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 }
    )
    const lines = stdout.trimEnd().split('\n')
    const last = JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>
    assert.equal(last['bench'], 'federation')
    for (const key of ['p50_ms', 'p99_ms', 'services', 'clusters', 'changes', 'initial_sync_ms']) {
      assert.equal(typeof last[key], 'number', key)
    }
    assert.deepEqual(last['targets'], { p99_ms: '<= 1000' })
    assert.equal(typeof (last['pass'] as Record<string, unknown>)['p99_ms'], 'boolean')
    assert.equal(last['quick'], true)
    assert.equal(last['enforced'], false)
    assert.ok(lines.length > 1, 'a readable table precedes the JSON line')
  })
})

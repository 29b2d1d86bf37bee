import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

void describe('selector benchmark', () => {
  void it('runs with --quick and ends with one JSON line describing the run', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'scripts/bench/selector.ts', '--quick'],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 }
    )
    const lines = stdout.trimEnd().split('\n')
    const last = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>
    assert.equal(last.bench, 'selector')
    for (const key of [
      'build_ms',
      'change_mean_us',
      'change_p99_us',
      'naive_mean_us',
      'naive_p99_us',
      'ratio_naive_to_indexed',
      'selectors',
      'endpoints',
    ]) {
      assert.equal(typeof last[key], 'number', key)
    }
    assert.ok(lines.length > 1, 'a readable table precedes the JSON line')
  })
})

/**
 * For the benchmarks' tests: runs one benchmark with `--quick` (plus arguments) and checks the shape
 * of its last line, the JSON every benchmark ends with (see common.ts): the bench name, numeric
 * figures, one `pass` entry per target, `quick: true`, `enforced: false`.
 */
import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

/** The parsed last line of a benchmark run. */
export type BenchLine = Record<string, unknown> & {
  readonly targets: Record<string, string>
  readonly pass: Record<string, boolean>
}

/**
 * Runs `scripts/bench/<name>.ts --quick ...args`, asserts it exits 0 with a table before one JSON
 * line of the common shape in which every figure in `figures` is a number, and returns the line.
 */
export async function runQuick(
  name: string,
  args: readonly string[],
  figures: readonly string[],
  timeoutMs = 240_000
): Promise<BenchLine> {
  const { stdout } = await run(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      '--expose-gc',
      `scripts/bench/${name}.ts`,
      '--quick',
      ...args,
    ],
    { cwd: repoRoot, maxBuffer: 64 << 20, timeout: timeoutMs }
  )
  const lines = stdout.trimEnd().split('\n')
  assert.ok(lines.length > 1, 'a readable table precedes the JSON line')
  const last = JSON.parse(lines[lines.length - 1]!) as BenchLine
  assert.equal(last['bench'], name)
  assert.equal(last['quick'], true)
  assert.equal(last['enforced'], false)
  for (const k of figures) assert.equal(typeof last[k], 'number', `figure ${k}`)
  assert.ok(Object.keys(last.targets).length > 0, 'targets stated')
  assert.deepEqual(Object.keys(last.pass).sort(), Object.keys(last.targets).sort())
  for (const [k, v] of Object.entries(last.pass)) {
    assert.equal(typeof v, 'boolean', `pass.${k}`)
    assert.equal(typeof last[k], 'number', `targeted figure ${k}`)
  }
  return last
}

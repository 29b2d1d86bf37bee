import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

void describe('fanout benchmark', () => {
  void it('runs --quick in a child process and ends with one JSON result line', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'scripts/bench/fanout.ts', '--quick'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    assert.equal(code, 0, `bench failed:\n${out}\n${err}`)
    const lines = out.trim().split('\n')
    assert.match(out, /time until all clients in sync/)
    const result = JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>
    assert.equal(result['bench'], 'fanout')
    assert.equal(result['endpoints'], 5000)
    assert.equal(result['clients'], 50)
    assert.equal(result['snapshots_built'], 1, 'one snapshot encoding shared by every client')
    for (const k of [
      'insync_ms',
      'raw_tcp_ms',
      'ratio_to_limit',
      'delta_p50_ms',
      'delta_p99_ms',
      'bytes_sent',
      'rss_bytes_per_endpoint',
    ]) {
      assert.equal(typeof result[k], 'number', k)
      assert.ok(Number.isFinite(result[k]), `${k} is finite`)
    }
  })
})

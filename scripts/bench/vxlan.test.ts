import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces)'

void describe('vxlan benchmark', { skip }, () => {
  void it('--quick prints one JSON line with every figure (root, netns)', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        'scripts/bench/vxlan.ts',
        '--quick',
        '--changes',
        '20',
      ],
      { timeout: 120_000, maxBuffer: 16 << 20 }
    )
    const last = stdout.trim().split('\n').at(-1) ?? ''
    const r = JSON.parse(last) as Record<string, unknown>
    assert.equal(r['bench'], 'vxlan')
    assert.equal(r['vteps'], 500)
    for (const k of [
      'agent_entries_per_s',
      'batch_entries_per_s',
      'ratio_to_limit',
      'incremental_p50_ms',
      'incremental_p99_ms',
    ]) {
      assert.equal(typeof r[k], 'number', k)
      assert.ok((r[k] as number) > 0, k)
    }
    const { stdout: ns } = await run('ip', ['netns', 'list'])
    assert.ok(!ns.includes('ct-bench-vxlan-'), 'benchmark namespaces removed')
  })
})

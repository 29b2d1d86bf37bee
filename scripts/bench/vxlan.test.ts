import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { runQuick } from './quick-run.js'

const run = promisify(execFile)
const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces)'

void describe('vxlan benchmark', { skip }, () => {
  void it('--quick: agent, iproute2 and netlink batches alternated; one JSON line (root, netns)', async () => {
    const r = await runQuick(
      'vxlan',
      ['--vteps', '200', '--changes', '10', '--reps', '2'],
      [
        'agent_ms',
        'iproute2_ms',
        'netlink_ms',
        'agent_entries_per_s',
        'limit_entries_per_s',
        'ratio_to_limit',
        'incremental_p50_ms',
        'incremental_p99_ms',
      ]
    )
    assert.equal(r['vteps'], 200)
    for (const k of ['agent_ms', 'iproute2_ms', 'netlink_ms', 'ratio_to_limit'])
      assert.ok((r[k] as number) > 0, k)
    const { stdout: ns } = await run('ip', ['netns', 'list'])
    assert.ok(!ns.includes('ct-bench-vxlan-'), 'benchmark namespaces removed')
  })

  void it('a bad --vteps is an error, not a silent default', async () => {
    await assert.rejects(
      run(process.execPath, [
        '--conditions=source',
        '--import',
        'tsx',
        'scripts/bench/vxlan.ts',
        '--vteps',
        'ten',
      ]),
      /--vteps needs a positive integer/
    )
  })
})

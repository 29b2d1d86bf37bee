import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { runQuick } from './quick-run.js'

const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces, iptables, ipset)'

void describe('policy benchmark', { skip }, () => {
  void it('runs with --quick (root, netns): agent and tool sides, changes, one JSON line', async () => {
    const line = await runQuick(
      'policy',
      ['--policies', '20', '--endpoints', '1000', '--changes', '10', '--reps', '2'],
      [
        'first_programming_ms',
        'first_programming_tools_ms',
        'change_p50_ms',
        'change_p99_ms',
        'iptables_restores_during_changes',
        'ipsets',
        'ipset_members',
      ]
    )
    assert.equal(line['policies'], 20)
    assert.equal(line['changes'], 20)
    assert.equal(
      line['iptables_restores_during_changes'],
      0,
      'membership changes touch ipsets only'
    )
    assert.ok((line['ipsets'] as number) > 0)
  })
})

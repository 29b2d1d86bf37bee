import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { runQuick } from './quick-run.js'

void describe('agent-memory benchmark', () => {
  void it('runs with --quick: the agent as shipped and with node defaults, each in sync with every KV, one JSON line', async () => {
    const line = await runQuick(
      'agent-memory',
      ['--endpoints', '2000', '--reps', '1'],
      [
        'endpoints',
        'kvs_held',
        'vteps',
        'sync_ms',
        'rss_bytes_per_endpoint',
        'heap_bytes_per_endpoint',
        'sync_ms_node_defaults',
        'rss_bytes_per_endpoint_node_defaults',
      ]
    )
    // 2,000 endpoints on 200 nodes (one block each) plus one pool per cluster.
    assert.equal(line['kvs_held'], 2000 + 200 + 200 + 10)
    assert.equal(line['vteps'], 199)
  })
})

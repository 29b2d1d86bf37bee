import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { runQuick } from './quick-run.js'

void describe('fanout benchmark', () => {
  void it('runs --quick: cold, deltas, warm vs raw TCP alternated; one JSON line', async () => {
    const result = await runQuick(
      'fanout',
      [],
      [
        'cold_insync_ms',
        'insync_ms',
        'raw_tcp_ms',
        'ratio_to_limit',
        'cold_ratio_to_limit',
        'delta_p50_ms',
        'delta_p99_ms',
        'bytes_sent',
        'rss_bytes_per_endpoint',
        'resume_bytes',
        'full_snapshot_bytes',
      ]
    )
    assert.equal(result['endpoints'], 5000)
    assert.equal(result['clients'], 50)
    assert.equal(result['clients_dropped'], 0)
    assert.equal(result['resumed'], true, 'the returning client resumed')
    assert.ok((result['resume_bytes'] as number) < (result['full_snapshot_bytes'] as number))
    // One encoding for the cold joiners, one for the resume client's first visit, one for the warm
    // joiners after its 100 changes (plus at most one more for a snapshot-compression variant):
    // never one per client.
    assert.ok((result['snapshots_built'] as number) <= 4, 'snapshot encodings shared')
  })
})

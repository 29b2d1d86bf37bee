import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { runQuick } from './quick-run.js'

void describe('fanout benchmark', () => {
  void it('runs --quick: lean cold, deltas, warm vs raw, decoding SyncClients, storm; one JSON line', async () => {
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
        'cold_decode_ms',
        'raw_decode_ms',
        'cold_decode_ratio',
        'storm_resync_ms',
        'storm_total_ms',
        'storm_to_cold_decode',
        'storm_resumed',
        'storm_resnapshotted',
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
    // Every decoding SyncClient came back after the restart; a new cache has a new epoch, so each
    // took a snapshot, and the diff against what it held reported no change (same data).
    assert.equal(result['storm_clients_failed'], 0)
    assert.equal(result['storm_resnapshotted'], result['decode_clients'])
    assert.equal(result['storm_resumed'], 0)
    assert.equal(result['storm_updates'], 0)
  })
})

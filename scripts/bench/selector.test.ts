import { describe, it } from 'node:test'
import { runQuick } from './quick-run.js'

void describe('selector benchmark', () => {
  void it('runs with --quick and ends with one JSON line: figures, targets, pass', async () => {
    await runQuick(
      'selector',
      ['--changes', '600'],
      [
        'build_ms',
        'change_mean_us',
        'change_p99_us',
        'naive_mean_us',
        'ratio_naive_to_indexed',
        'ratio_naive_to_indexed_min',
        'ratio_naive_to_indexed_max',
        'selectors',
        'endpoints',
      ]
    )
  })
})

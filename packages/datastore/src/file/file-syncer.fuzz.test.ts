import { makeFileHarness } from '../testing/file-harness.js'
import { runSyncerFuzz } from '../testing/fuzz.js'

// The file driver re-reads (and YAML-parses) the whole folder on every change, and the harness
// writes one file per object: 10,000 files take minutes on a loaded machine, so this run uses
// 1,000 by default (every kind and mutation still occurs). CATTAIL_FUZZ_COUNT=10000 runs the
// full size.
runSyncerFuzz('file', makeFileHarness, { count: 1000, before: 800, rawAsJson: true })

import { makeFileHarness } from '../testing/file-harness.js'
import { runSyncerFuzz } from '../testing/fuzz.js'

// 10,000 objects, one file each, as for the other drivers (about 20 s here; the driver re-reads
// the folder on every change, so a loaded machine takes longer).
runSyncerFuzz('file', makeFileHarness, { count: 10_000, before: 8000, rawAsJson: true })

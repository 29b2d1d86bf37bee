import { runSyncerContract } from '../testing/contract.js'
import { makeFileHarness } from '../testing/file-harness.js'

runSyncerContract('file', makeFileHarness)

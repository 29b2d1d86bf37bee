import { runSyncerContract } from '../testing/contract.js'
import { makeKubeHarness } from './testing/kube-harness.js'

runSyncerContract('kubernetes (test API server)', () => makeKubeHarness())

import { runSyncerFuzz } from '../testing/fuzz.js'
import { makeKubeHarness } from './testing/kube-harness.js'

runSyncerFuzz('kubernetes (test API server)', () => makeKubeHarness())

import { runSyncerContract } from '../testing/contract.js'
import { makeEtcdHarness } from '../testing/etcd-harness.js'

runSyncerContract('etcdv3 (needs etcd)', makeEtcdHarness)

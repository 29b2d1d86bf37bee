import { makeEtcdHarness, TEST_ETCD_SYNCER_TUNING } from '../testing/etcd-harness.js'
import { runSyncerFuzz } from '../testing/fuzz.js'

// Full-size pages: the test tuning's 2-key pages would make 5,000 list requests.
runSyncerFuzz('etcdv3 (needs etcd)', () =>
  makeEtcdHarness({ ...TEST_ETCD_SYNCER_TUNING, listPageSize: 500 })
)

/**
 * @module @cattail/cache/testing: a protocol test client, a hand-driven fake syncer, a cache +
 * server harness and resource builders, for this package's and other packages' tests. The load
 * generators of the benchmarks (lean clients, frame peekers) live in scripts/bench/.
 */
export * from './test-client.js'
export * from './fake-syncer.js'
export * from './resources.js'
export * from './harness.js'

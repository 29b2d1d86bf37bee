/**
 * @module @cattail/cache/testing: a lean protocol test client, a hand-driven fake syncer and
 * resource builders, for this package's tests, the fan-out benchmark and other packages' tests.
 */
export * from './test-client.js'
export * from './fake-syncer.js'
export * from './resources.js'
export * from './harness.js'
export * from './lean-client.js'
export * from './deltas-peek.js'

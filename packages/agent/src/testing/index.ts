/**
 * @module @cattail/agent/testing: fakes and fixture builders for tests and benchmarks.
 */
export * from './calc-fixtures.js'
export * from './fake-drivers.js'

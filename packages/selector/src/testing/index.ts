/**
 * @module @cattail/selector/testing: helpers for tests and benchmarks only: a seeded PRNG and a
 * random selector generator that also yields the expected canonical form and a reference
 * evaluator.
 */
export * from './prng.js'
export * from './random-selectors.js'

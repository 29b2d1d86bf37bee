/**
 * @module @cattail/agent/testing: fakes, fixture builders and network-namespace helpers for tests
 * and benchmarks (never for production code).
 */
export * from './calc-fixtures.js'
export * from './fake-drivers.js'
export * from './netns.js'
export * from './fake-policy-calc.js'
export { wep, np, gnp, nsProfile, profile, tier } from './policy-fixtures.js'

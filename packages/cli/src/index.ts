/**
 * @module @cattail/cli: the `cattail` command (cache, agent, status, demo). The binary is
 * `dist/main.js`; this module exposes the program builder for tests.
 */
export { buildProgram, CATTAIL_VERSION } from './program.js'
export {
  collectStatus,
  defaultStatusUrl,
  formatStatus,
  isHealthy,
  statusCommand,
  statusDocument,
  type StatusReport,
} from './status.js'
export type { StatusDocument, RemoteSummary } from './status-report.js'
export { demoCommand, runDemo, type DemoOptions } from './demo/demo.js'
export * from './demo/scenario.js'
export * from './lab/index.js'
export { policyCommand, formatTrace } from './policy-trace.js'
export { readCacheSnapshot, type CacheSnapshot, type CacheSnapshotOptions } from './cache-client.js'

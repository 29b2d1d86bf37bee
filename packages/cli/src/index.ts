/**
 * @module @cattail/cli: the `cattail` command (cache, agent, status, demo). The binary is
 * `dist/main.js`; this module exposes the program builder for tests.
 */
export { buildProgram, CATTAIL_VERSION } from './program.js'
export { collectStatus, formatStatus, statusCommand, type StatusReport } from './status.js'

/**
 * @module @cattail/common: typed errors, the logger factory, the Startable lifecycle and small
 * helpers shared by every cattail package.
 *
 * @example
 * ```ts
 * import { createRootLogger, ConfigError } from '@cattail/common'
 * const log = createRootLogger('info', 'cache').child({ component: 'syncserver' })
 * ```
 */
export * from './errors.js'
export * from './logger.js'
export * from './lifecycle.js'
export * from './backoff.js'
export * from './wait.js'
export * from './http-endpoint.js'
export * from './cli-options.js'
export * from './version.js'

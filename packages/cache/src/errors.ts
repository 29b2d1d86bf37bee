/**
 * Errors raised by the cache daemon. Each has a stable `code`; match on it across log boundaries.
 */
import { MeshError } from '@cattail/common'

/** A cache method was used after `stop()` or before `start()`. */
export class CacheStoppedError extends MeshError {
  readonly code = 'ERR_CACHE_STOPPED'
  constructor() {
    super('snapshot cache is stopped')
  }
}

/** A server listener (sync, health or metrics) could not bind its address (shared class). */
export { ListenError } from '@cattail/common'

/** A TLS file named in the configuration could not be read. */
export class TlsFileError extends MeshError {
  readonly code = 'ERR_TLS_FILE'
  constructor(
    readonly file: string,
    cause: unknown
  ) {
    super(`cannot read TLS file ${file}`, { cause })
  }
}

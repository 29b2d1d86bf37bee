/**
 * Errors the datastore drivers report through `SyncerCallbacks.onFailure` (they never throw them
 * at consumers). Match on `code` across process boundaries.
 */
import { MeshError, errorMessage } from '@cattail/common'

/** The datastore could not be reached, or a list/watch failed; the driver retries by itself. */
export class DatastoreConnectionError extends MeshError {
  readonly code = 'ERR_DATASTORE_CONNECTION'
  /**
   * @param driver - `etcdv3`, `file` or `kubernetes`
   * @param what - what was being done (`list /calico/resources/v3/projectcalico.org/ippools/`)
   */
  constructor(
    readonly driver: string,
    readonly what: string,
    cause: unknown
  ) {
    super(`${driver}: ${what} failed: ${errorMessage(cause)}`, { cause })
  }
}

/**
 * One stored object is invalid (bad YAML/JSON, failed validation or conversion). The driver
 * treats its key as absent (emitting a deletion if it was present) and keeps going.
 */
export class BadObjectError extends MeshError {
  readonly code = 'ERR_BAD_OBJECT'
  /**
   * @param source - where the object lives: an etcd key, `file.yaml#2` (document index, from 0),
   *   or `<resource> <ns>/<name>`
   * @param detail - the problem (a ValidationError's message, or a parse error)
   * @param kind - the kind or resource it was read as (`IPPool`, `ippools`), `unknown` if none
   * @param reason - `invalid` (failed parsing, validation or conversion) or `exception` (the
   *   conversion threw: a bug the per-object guard contained)
   */
  constructor(
    readonly source: string,
    readonly detail: string,
    cause?: unknown,
    readonly kind: string = 'unknown',
    readonly reason: BadObjectReason = 'invalid'
  ) {
    super(`${source}: ${detail}`, { cause })
  }
}

/** Why an object was rejected (the `reason` label of the rejected-objects metric). */
export type BadObjectReason = 'invalid' | 'exception'

/**
 * The mesh layer refused one object from a remote cluster (remote/remote-guard.ts): it overlaps
 * the local cluster's addresses, carries a bad VTEP MAC, or the remote is past its object limit.
 * The object is treated as absent; the remote's status counts it.
 */
export class RemoteObjectRejectedError extends MeshError {
  readonly code = 'ERR_REMOTE_REJECTED'
  /**
   * @param remote - the RCC name
   * @param reason - a RemoteRejectReason (`overlaps-node-address`, `object-limit` …)
   * @param key - the refused key (`<rcc>/IPPool/p`)
   */
  constructor(
    readonly remote: string,
    readonly reason: string,
    readonly key: string,
    detail: string
  ) {
    super(`remote ${remote}: ${key} refused: ${detail}`)
  }
}

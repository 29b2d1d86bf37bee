/**
 * What a RemoteCluster is given: the desired connection (decided by the mesh syncer from a
 * RemoteClusterConfiguration) and the dependencies its owner provides.
 */
import type { BackoffConfig, Logger } from '@cattail/common'
import type { KVUpdate, Resource, ResourceKind } from '@cattail/model'
import type { DatastoreConfig, Syncer, SyncerCallbacks, SyncerOptions } from '../syncer.js'
import type { EtcdTlsFiles } from './remote-config.js'
import type { RemoteRejection } from './remote-guard.js'
import type { RemoteStatus } from './remote-status.js'

/** Creates (but does not start) a syncer; `createSyncer` from the factory by default. */
export type SyncerFactory = (
  cfg: DatastoreConfig,
  opts: SyncerOptions,
  callbacks: SyncerCallbacks
) => Syncer

/** What a remote should be connected to, as decided by the mesh syncer. */
export type RemoteDesired =
  | {
      readonly valid: true
      readonly config: DatastoreConfig
      readonly etcdTlsFiles?: EtcdTlsFiles
      readonly kinds: ReadonlySet<ResourceKind>
      /** Equal fingerprints mean "no reconnect needed". */
      readonly fingerprint: string
    }
  | { readonly valid: false; readonly reason: string }

/** What a RemoteCluster needs from its owner. */
export interface RemoteClusterDeps {
  readonly log: Logger
  readonly createSyncer: SyncerFactory
  readonly retryBackoff: BackoffConfig
  /** A remote still `Connecting` this long after its syncer started is `ConnectionFailed`. */
  readonly connectTimeoutMs: number
  /** Hands a batch of (already renamed) updates to consumers. */
  readonly emit: (updates: readonly KVUpdate[]) => void
  /** The remote's status changed (undefined: the remote is gone; its status key must go). */
  readonly onStatus: (status: RemoteStatus | undefined) => void
  /** Refuses remote values (raw, before renaming); undefined lets everything pass. */
  readonly guard?: (r: Resource) => RemoteRejection | undefined
  /** Most keys this remote may hand to consumers. @default Infinity */
  readonly objectLimit?: number
  /** A remote value was refused (`key` is the renamed key). */
  readonly onRejected?: (rejection: RemoteRejection, key: string) => void
  /** How often files named by the configuration are checked for changes. @default 10000 */
  readonly fileCheckIntervalMs?: number
  /** A remote Node arrived or changed (its raw name and published MAC), or vanished (undefined). */
  readonly onNode?: (name: string, node: { readonly mac?: string } | undefined) => void
}

/**
 * What a driver's test harness gives the contract suite (`runSyncerContract`): a way to create the
 * driver's syncer against a private backing store, to write native objects into that store, and
 * to break the store's availability or history on purpose.
 */
import type { Resource, ResourceKind } from '@cattail/model'
import type { Syncer, SyncerCallbacks, SyncerOptions } from '../syncer.js'

/** Which optional tests a harness supports. A string is the reason the test is skipped. */
export interface SyncerHarnessCapabilities {
  /** Reason to skip the server-restart test (e.g. the file driver has no server). */
  readonly serverRestart?: string
  /** Reason to skip the compaction / expired-watch test. */
  readonly compaction?: string
  /**
   * `put`/`remove` work while the server is stopped (writes happen behind the driver's back, so
   * the restart test can check deletions of what vanished while it was away). When false the
   * suite writes right after `startServer()` instead.
   */
  readonly writeWhileStopped: boolean
}

/** Access to one driver and its backing store, for the contract suite. */
export interface SyncerHarness {
  readonly capabilities: SyncerHarnessCapabilities
  /** Creates (does not start) a syncer of the driver under test against this store. */
  createSyncer(opts: SyncerOptions, callbacks: SyncerCallbacks): Syncer
  /**
   * Writes a valid object in the store's native form (etcd: v3 JSON under Calico's key; file: a
   * YAML file; kubernetes: the CRD or core object). Kinds used: IPPool, NetworkPolicy, Tier, Secret.
   */
  put(resource: Resource): Promise<void>
  /**
   * Writes `raw` as the stored object of (kind, namespace, name), in the store's native form
   * (objects serialised as the store usually does). `raw` is invalid on purpose.
   */
  putRaw(
    kind: ResourceKind,
    name: string,
    namespace: string | undefined,
    raw: unknown
  ): Promise<void>
  /** Deletes the object; absent objects are not an error. */
  remove(kind: ResourceKind, name: string, namespace: string | undefined): Promise<void>
  /** Makes the server unreachable (kill it); the driver must notice. */
  stopServer(): Promise<void>
  /** Brings the server back with its data. */
  startServer(): Promise<void>
  /**
   * Runs `during` while the driver's watch is cut off, then makes the history it missed
   * unavailable (etcd: compact; kubernetes: the next watch gets 410 Gone), then lets the driver
   * reconnect: it must relist.
   */
  compact(during: () => Promise<void>): Promise<void>
  /** Stops servers and removes everything the harness made. */
  close(): Promise<void>
}

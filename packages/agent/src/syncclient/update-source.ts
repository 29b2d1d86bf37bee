/**
 * The agent's view of where updates come from: anything that delivers KVUpdate batches and an
 * overall sync status. syncproto's reference `SyncClient` satisfies it through its callbacks
 * (see sync-source.ts); tests feed a hand-written source.
 */
import type { KVUpdate, SyncStatus } from '@cattail/model'

/** Callbacks an update source calls. */
export interface UpdateSink {
  /** A batch of real changes (the source already diffed snapshots against what it holds). */
  onUpdates(updates: readonly KVUpdate[]): void
  /** Overall status; `connected` false while disconnected or reconnecting. */
  onStatus(status: SyncStatus, connected: boolean): void
}

/** A started/stopped producer of updates. */
export interface UpdateSource {
  start(signal?: AbortSignal): Promise<void>
  stop(): Promise<void>
}

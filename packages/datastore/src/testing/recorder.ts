/**
 * SyncerRecorder: a SyncerCallbacks implementation for tests. It keeps the current state (key →
 * value), every update, every status and every failure, so tests can `waitFor` a condition and
 * then assert on what was (or was not) emitted.
 */
import type { MeshError } from '@cattail/common'
import type { KVUpdate, Resource, SyncStatus } from '@cattail/model'
import type { SyncerCallbacks } from '../syncer.js'

/** Records everything a syncer reports. */
export class SyncerRecorder implements SyncerCallbacks {
  /** Current value of every present key. */
  readonly state = new Map<string, Resource>()
  /** Every update, in arrival order. */
  readonly updates: KVUpdate[] = []
  /** Every batch size, in arrival order (an empty batch is allowed but recorded). */
  readonly batchSizes: number[] = []
  /** Every status reported, in order. */
  readonly statuses: SyncStatus[] = []
  /** Every failure reported, in order. */
  readonly failures: MeshError[] = []
  /** `state.size` at the moment each status arrived (same index as `statuses`). */
  readonly stateSizeAtStatus: number[] = []

  onUpdates(updates: readonly KVUpdate[]): void {
    this.batchSizes.push(updates.length)
    for (const u of updates) {
      this.updates.push(u)
      if (u.value === undefined) this.state.delete(u.key)
      else this.state.set(u.key, u.value)
    }
  }

  onStatus(status: SyncStatus): void {
    this.statuses.push(status)
    this.stateSizeAtStatus.push(this.state.size)
  }

  onFailure(err: MeshError): void {
    this.failures.push(err)
  }

  /** The latest status, or undefined before the first. */
  get status(): SyncStatus | undefined {
    return this.statuses[this.statuses.length - 1]
  }

  /** How many updates (values and deletions) were emitted for `key`. */
  countFor(key: string): number {
    let n = 0
    for (const u of this.updates) if (u.key === key) n++
    return n
  }

  /** Updates emitted for `key`, in order. */
  updatesFor(key: string): KVUpdate[] {
    return this.updates.filter((u) => u.key === key)
  }

  /** True when `status` was reported at or after position `from` of `statuses`. */
  sawStatusSince(status: SyncStatus, from: number): boolean {
    return this.statuses.slice(from).includes(status)
  }

  /** A compact description of what was recorded, for assertion messages. */
  describe(): string {
    return JSON.stringify({
      keys: [...this.state.keys()].sort(),
      statuses: this.statuses,
      failures: this.failures.map((f) => `${f.code}: ${f.message}`),
      updates: this.updates.map((u) => `${u.value === undefined ? '-' : '+'}${u.key}`),
    })
  }
}

/**
 * Test helper: the datastore's SyncerRecorder plus what mesh tests need: one ordered event list
 * (KVs and statuses interleaved) and views of remote statuses and keys. Not exported.
 */
import type { KVUpdate, SyncStatus } from '@cattail/model'
import { SyncerRecorder } from '../../testing/recorder.js'

/** Records what a (mesh) syncer reports. */
export class StreamRecorder extends SyncerRecorder {
  /** Everything in arrival order: `kv:<key>` (or `del:<key>`) and `status:<status>`. */
  readonly events: string[] = []

  override onUpdates(updates: readonly KVUpdate[]): void {
    for (const u of updates) this.events.push(`${u.value === undefined ? 'del' : 'kv'}:${u.key}`)
    super.onUpdates(updates)
  }
  override onStatus(status: SyncStatus): void {
    this.events.push(`status:${status}`)
    super.onStatus(status)
  }

  /** Current state name of remote `name` (from its status KV). */
  remoteState(name: string): string | undefined {
    const v = this.state.get(`RemoteClusterStatus/${name}`)
    return v?.kind === 'RemoteClusterStatus' ? v.spec.status : undefined
  }
  /** Error text of remote `name`'s status. */
  remoteError(name: string): string | undefined {
    const v = this.state.get(`RemoteClusterStatus/${name}`)
    return v?.kind === 'RemoteClusterStatus' ? v.spec.error : undefined
  }
  /** Sequence of states remote `name` went through (`-` for deletion). */
  remoteHistory(name: string): string[] {
    return this.updates
      .filter((u) => u.key === `RemoteClusterStatus/${name}`)
      .map((u) => (u.value?.kind === 'RemoteClusterStatus' ? u.value.spec.status : '-'))
  }
  /** Keys currently held whose cluster segment is `cluster`. */
  keysOf(cluster: string): string[] {
    return [...this.state.keys()].filter((k) => k.startsWith(`${cluster}/`)).sort()
  }
  /** Updates recorded from index `from` on whose key starts with `cluster/`. */
  updatesOf(cluster: string, from = 0): KVUpdate[] {
    return this.updates.slice(from).filter((u) => u.key.startsWith(`${cluster}/`))
  }
  /** True when the latest combined status is in-sync. */
  get inSync(): boolean {
    return this.status === 'in-sync'
  }
}

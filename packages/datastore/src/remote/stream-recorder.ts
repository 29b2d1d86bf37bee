/**
 * Test helper: SyncerCallbacks that record the mesh stream (current key/value state, every update
 * in order, and the statuses). Not exported from the package.
 */
import type { MeshError } from '@cattail/common'
import type { KVUpdate, Resource, SyncStatus } from '@cattail/model'
import type { SyncerCallbacks } from '../syncer.js'

/** Records what a syncer reports. */
export class StreamRecorder implements SyncerCallbacks {
  readonly state = new Map<string, Resource>()
  readonly updates: KVUpdate[] = []
  readonly statuses: SyncStatus[] = []
  readonly failures: MeshError[] = []
  /** Everything in arrival order: `kv:<key>` (or `del:<key>`) and `status:<status>`. */
  readonly events: string[] = []

  onUpdates(updates: readonly KVUpdate[]): void {
    for (const u of updates) {
      this.updates.push(u)
      this.events.push(`${u.value === undefined ? 'del' : 'kv'}:${u.key}`)
      if (u.value === undefined) this.state.delete(u.key)
      else this.state.set(u.key, u.value)
    }
  }
  onStatus(status: SyncStatus): void {
    this.statuses.push(status)
    this.events.push(`status:${status}`)
  }
  onFailure(err: MeshError): void {
    this.failures.push(err)
  }

  /** Current status state name of remote `name` (from its status KV). */
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
  get inSync(): boolean {
    return this.statuses[this.statuses.length - 1] === 'in-sync'
  }
}

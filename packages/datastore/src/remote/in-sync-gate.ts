/**
 * The first in-sync of the mesh syncer: held back until every RemoteClusterConfiguration present
 * at local in-sync (the start-up snapshot) is InSync or has failed once, or until a timeout after
 * local in-sync, whichever is first. RCCs added later never gate it, and once released the gate
 * stays open: the combined status then follows the local one.
 */
import { assertNever, type Logger } from '@cattail/common'
import type { SyncStatus } from '@cattail/model'
import type { RemoteStatus } from './remote-status.js'

/** Holds back the first in-sync for the start-up remotes. See the file comment. */
export class InSyncGate {
  /** Start-up RCCs still holding back the first in-sync (undefined: local never in sync yet). */
  #gating: Set<string> | undefined
  #timer: NodeJS.Timeout | undefined
  #released = false

  /** `onChange` is called when the gate may have opened (the owner recomputes its status). */
  constructor(
    private readonly timeoutMs: number,
    private readonly log: Logger,
    private readonly onChange: () => void
  ) {}

  /** Local in-sync for the first time: `names` (the start-up RCCs) hold back the first in-sync. */
  start(names: Iterable<string>): void {
    this.#gating = new Set(names)
  }

  /**
   * Starts the timeout for the remotes still gating (after the owner reconciled them, which may
   * have released some at once).
   */
  arm(): void {
    const gating = this.#gating
    if (gating === undefined || gating.size === 0) return
    this.log.info(
      { remotes: [...gating], timeoutMs: this.timeoutMs },
      'waiting for remote clusters before reporting in-sync'
    )
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      if (gating.size === 0) return
      this.log.warn(
        { remotes: [...gating], timeoutMs: this.timeoutMs },
        'remote clusters not in sync in time; reporting in-sync without them'
      )
      gating.clear()
      this.onChange()
    }, this.timeoutMs)
  }

  /** Remote `name` no longer holds back the first in-sync (it synced, failed or went away). */
  release(name: string): void {
    if (this.#gating?.delete(name) === true && this.#gating.size === 0) this.onChange()
  }

  /** Remote `name` reported `status`: releases it when that status ends its wait. */
  observe(name: string, status: RemoteStatus | undefined): void {
    if (releasesGate(status)) this.release(name)
  }

  /** The combined status for local status `local`. */
  combined(local: SyncStatus): SyncStatus {
    if (this.#released || local !== 'in-sync') return local
    if (this.#gating !== undefined && this.#gating.size > 0) return 'resync-in-progress'
    this.#released = true
    this.stop()
    return local
  }

  /** Cancels the timeout. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}

/** True when a remote in this status no longer holds back the first in-sync. */
function releasesGate(st: RemoteStatus | undefined): boolean {
  if (st === undefined) return true
  switch (st.status) {
    case 'InSync':
    case 'ConnectionFailed':
    case 'ConfigIncomplete':
      return true
    case 'Connecting':
    case 'ResyncInProgress':
      return false
    default:
      return assertNever(st.status, 'remote status')
  }
}

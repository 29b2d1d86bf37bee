/**
 * Hand-written fakes of the dataplane drivers (tests only).
 */
import type { VxlanState } from '../calc/types.js'
import type { ChangedKeys } from '../calc/vxlan-patch.js'
import type { VxlanDriver } from '../dataplane/drivers/vxlan-driver.js'
import type { ApplyResult, KernelRoute } from '../dataplane/types.js'

/** Records every call; `failNext` makes the next apply throw. */
export class FakeVxlanDriver implements VxlanDriver {
  readonly calls: ('setDesired' | 'markForResync' | 'apply')[] = []
  desired: VxlanState | undefined
  applied = 0
  resyncs = 0
  failNext: Error | undefined
  /** Every apply hangs until its signal aborts (a hung kernel call). */
  hang = false
  /** Destinations held by foreign routes (none unless a test sets some). */
  blockedRoutes = new Map<string, KernelRoute>()

  /** Keys reported with the last setDesired (undefined = a full state). */
  changed: ChangedKeys | undefined

  setDesired(state: VxlanState, changed?: ChangedKeys): void {
    this.calls.push('setDesired')
    this.desired = state
    this.changed = changed
  }

  markForResync(): void {
    this.calls.push('markForResync')
    this.resyncs++
  }

  apply(signal?: AbortSignal): Promise<ApplyResult> {
    this.calls.push('apply')
    if (this.hang)
      return new Promise((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true })
      })
    const err = this.failNext
    if (err !== undefined) {
      this.failNext = undefined
      return Promise.reject(err)
    }
    this.applied++
    return Promise.resolve({
      status: this.desired?.local === undefined ? 'waiting' : 'programmed',
      changes: 0,
      mode: 'none',
      resynced: false,
    })
  }
}

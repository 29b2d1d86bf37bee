/**
 * The manager contract of the dataplane loop (Felix's `Manager`): managers decide, drivers apply.
 */
import type { KVUpdate } from '@cattail/model'

/** One dataplane concern (VXLAN now; ipsets and iptables later). */
export interface Manager {
  /** Records an update cheaply. Must not touch the kernel; must not mark dirty for unrelated keys. */
  onUpdate(update: KVUpdate): void
  /** If anything changed since the last call, computes desired state and hands it to the drivers. */
  completeDeferredWork(): void
}

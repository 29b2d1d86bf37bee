/**
 * Composition of the VXLAN dataplane: manager → driver (iproute2 + netlink, or the dry-run
 * driver that prints the changes) → loop. The daemon
 * and the in-netns test harness build it the same way, so tests exercise the production wiring.
 */
import type { Logger } from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import {
  DataplaneLoop,
  type DataplaneLoopConfig,
  type DataplaneLoopHooks,
} from './dataplane-loop.js'
import { Iproute2 } from './drivers/iproute2.js'
import { NetlinkWriter } from './drivers/netlink-writer.js'
import { DryRunVxlanDriver } from './drivers/dry-run-driver.js'
import {
  KernelVxlanDriver,
  type VxlanDriver,
  type VxlanDriverStats,
} from './drivers/vxlan-driver.js'
import type { VxlanDataplaneConfig } from './types.js'
import { VxlanManager } from './vxlan-manager.js'

/** Everything {@link createVxlanDataplane} needs. */
export interface VxlanDataplaneOptions {
  readonly nodeName: string
  readonly vxlan: VxlanDataplaneConfig
  readonly loop: DataplaneLoopConfig
  readonly log: Logger
  readonly hooks?: DataplaneLoopHooks
  /** Deadline of every `ip`/`bridge` process, ms (drivers/child-process.ts). @default 10000 */
  readonly commandTimeoutMs?: number
  /** Called when the netlink socket was dropped after an error (metrics). */
  readonly onNetlinkReset?: (err: unknown) => void
  /** Dry run: print each would-be kernel change here instead of making it (no root needed). */
  readonly dryRun?: (line: string) => void
}

/** The assembled dataplane. */
export interface VxlanDataplane {
  readonly manager: VxlanManager
  readonly driver: VxlanDriver & { readonly stats: VxlanDriverStats }
  readonly loop: DataplaneLoop
  readonly netlink: NetlinkWriter | undefined
  /** Delivers a batch of updates to the manager and wakes the loop. */
  onUpdates(updates: readonly KVUpdate[]): void
  start(signal?: AbortSignal): Promise<void>
  stop(): Promise<void>
}

/** Builds the VXLAN dataplane for this node's own network namespace. */
export function createVxlanDataplane(o: VxlanDataplaneOptions): VxlanDataplane {
  const log = o.log.child({ component: 'vxlan' })
  const netlink =
    o.vxlan.useNetlink && o.dryRun === undefined
      ? new NetlinkWriter(o.vxlan, log, {
          onReset: (err) => {
            o.onNetlinkReset?.(err)
            loop.requestResync() // only ever called after construction
          },
        })
      : undefined
  const driver =
    o.dryRun !== undefined
      ? new DryRunVxlanDriver(o.vxlan, o.dryRun)
      : new KernelVxlanDriver(
          o.vxlan,
          new Iproute2(undefined, {
            ...(o.commandTimeoutMs !== undefined && { timeoutMs: o.commandTimeoutMs }),
          }),
          netlink,
          log
        )
  const manager = new VxlanManager(o.nodeName, driver, log)
  const loop = new DataplaneLoop(o.loop, [manager], driver, o.log, o.hooks)
  const theLoop = loop
  return {
    manager,
    driver,
    loop: theLoop,
    netlink,
    onUpdates(updates) {
      for (const u of updates) manager.onUpdate(u)
      if (manager.dirty) theLoop.kick()
    },
    start: (signal) => theLoop.start(signal),
    async stop() {
      await theLoop.stop()
      netlink?.close()
    },
  }
}

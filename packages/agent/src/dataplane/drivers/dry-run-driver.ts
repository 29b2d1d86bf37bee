/**
 * A dry-run VXLAN driver: computes exactly the changes the kernel driver would make (same pure
 * diff, same op order) and hands them, as the `ip`/`bridge` command lines that would make them,
 * to a printer instead of touching the kernel. It needs neither root nor a network namespace:
 * `cattail agent --dry-run true` and `cattail demo --dry-run` use it.
 *
 * Its "kernel" is its own record of what it printed, starting empty (as a fresh node would), so
 * each apply prints only the difference; a resync request changes nothing (there is nothing to
 * re-read).
 */
import type { VxlanState } from '../../calc/types.js'
import type { ApplyResult, KernelRoute, KernelVxlanState, VxlanDataplaneConfig } from '../types.js'
import { VXLAN_MTU_OVERHEAD_BYTES } from '../types.js'
import { desiredKernel, diffVxlan, recordOps, renderBatches } from '../vxlan-diff.js'
import type { VxlanDriver, VxlanDriverStats } from './vxlan-driver.js'

/** Parent interface named in printed routes via the underlay (a dry run has no real one). */
const DRY_RUN_PARENT = 'eth0'
/** MTU assumed for the parent when the config leaves it to the kernel. */
const DRY_RUN_PARENT_MTU = 1500

/** Prints would-be kernel changes instead of making them. */
export class DryRunVxlanDriver implements VxlanDriver {
  readonly stats: VxlanDriverStats = {
    resyncs: 0,
    changes: 0,
    entries: { fdb: 0, arp: 0, routes: 0 },
    blockedRoutes: 0,
  }
  /** A dry run never meets a foreign route. */
  readonly blockedRoutes: ReadonlyMap<string, KernelRoute> = new Map()
  #desired: VxlanState | undefined
  readonly #actual: KernelVxlanState = {
    fdb: new Map(),
    arp: new Map(),
    routes: new Map(),
    foreignRoutes: new Set(),
  }
  #device: string | undefined

  /**
   * @param cfg the VXLAN settings the commands use
   * @param print receives one command line per change
   */
  constructor(
    private readonly cfg: VxlanDataplaneConfig,
    private readonly print: (line: string) => void
  ) {}

  /** The last desired state. */
  setDesired(state: VxlanState): void {
    this.#desired = state
  }

  /** Nothing to re-read: the record of printed changes is the state. */
  markForResync(): void {
    this.stats.resyncs++
  }

  /** Prints the device (once per VTEP change) and every FDB, ARP and route change. */
  apply(): Promise<ApplyResult> {
    const want = this.#desired
    const local = want?.local
    if (want === undefined || local === undefined)
      return Promise.resolve({ status: 'waiting', changes: 0, mode: 'none', resynced: false })
    const dev = this.cfg.deviceName
    let changes = 0
    const device = `${local.nodeIp} ${local.mac} ${local.tunnelIp}`
    if (this.#device !== device) {
      const mtu = this.cfg.mtu > 0 ? this.cfg.mtu : DRY_RUN_PARENT_MTU - VXLAN_MTU_OVERHEAD_BYTES
      const verb = this.#device === undefined ? 'add' : 'replace'
      this.print(
        `ip link ${verb} ${dev} type vxlan id ${this.cfg.vni} local ${local.nodeIp} dstport ${this.cfg.port} nolearning`
      )
      this.print(`ip link set ${dev} address ${local.mac} mtu ${mtu} up`)
      this.print(`ip addr replace ${local.tunnelIp}/32 dev ${dev}`)
      this.#device = device
      changes += 3
    }
    const diff = diffVxlan(
      desiredKernel(want, dev, DRY_RUN_PARENT, this.cfg.routeProtocol),
      this.#actual
    )
    for (const op of diff.ops) {
      const { ip, bridge } = renderBatches([op], dev)
      for (const l of bridge) this.print(`bridge ${l}`)
      for (const l of ip) this.print(`ip ${l}`)
    }
    recordOps(this.#actual, diff.ops)
    changes += diff.ops.length
    this.stats.changes += changes
    this.stats.entries = {
      fdb: this.#actual.fdb.size,
      arp: this.#actual.arp.size,
      routes: this.#actual.routes.size,
    }
    return Promise.resolve({ status: 'programmed', changes, mode: 'none', resynced: false })
  }
}

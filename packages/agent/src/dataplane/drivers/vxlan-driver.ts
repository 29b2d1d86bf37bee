/**
 * The VXLAN kernel driver: holds the desired state the manager handed over and makes the kernel
 * match it with the fewest changes.
 *
 * Overview (one `apply()`):
 *
 *   no desired state yet (never in sync)? ──► 'waiting' (kernel untouched: fail-static)
 *   desired state without our own VTEP? ──► remove everything we own, once ('waiting'): VXLAN is
 *        │yes                               disabled here or our Node is gone (Felix's cleanup)
 *        │yes
 *   device check (resync, or our VTEP changed) ──► ensureVxlanDevice (no-op when equal)
 *        │
 *   resync pending? ──yes──► dump FDB/ARP/routes (iproute2 JSON), keep what we own
 *                            (device just created: routes only, nothing can be on it yet)
 *        │
 *   diff desired vs tracked actual ──► ops (deletions first)
 *        │ ops ≤ netlinkMaxOps and netlink enabled ──► NetlinkWriter (pipelined, any size)
 *        │ otherwise                                  ──► ip -batch (streamed), then bridge -batch
 *        ▼
 *   tracked actual := actual + ops   (any failure: markForResync and rethrow)
 *
 * Implementation: `#actual` is what we believe the kernel holds of OUR entries; it is replaced
 * wholesale by every resync dump and updated op by op after successful applies. Because both the
 * dump and the diff ignore foreign entries, a resync never touches them; because the diff is
 * minimal, a resync (or agent restart) against an already-correct kernel issues zero changes.
 *
 * Our own VTEP gone: the desired state only ever comes from a complete, in-sync snapshot (the loop
 * gates it), so "no local VTEP" is a fact, not a gap: our Node was deleted or lost its VXLAN tunnel
 * address. Like Felix when VXLAN is disabled, the driver then deletes its device (which takes the
 * FDB, ARP and routes on it along) and every other route of our protocol (blackholes, same-subnet
 * routes), and repeats that check on every resync. It comes back with the VTEP.
 *
 * Blocked destinations: a desired route whose destination a foreign route holds is never
 * overwritten; it is kept in `blockedRoutes` (what we wanted there) for the metric, `/readiness`
 * and `/status` until a resync finds the destination free.
 *
 * Why not netlink dumps? They work (≈130 ms for 30k entries) but must not share a socket with
 * mutations (multipart reassembly is not keyed by sequence number), and `ip -j` is within a
 * factor of two while carrying no native-abort risk.
 */
import { errorMessage, type Logger } from '@cattail/common'
import type { RouteSpec, VxlanState, Vtep } from '../../calc/types.js'
import { DataplaneApplyError, DataplaneNotReadyError } from '../../errors.js'
import type {
  ApplyResult,
  KernelRoute,
  KernelVxlanState,
  VxlanDataplaneConfig,
  VxlanOp,
} from '../types.js'
import {
  desiredKernel,
  diffVxlan,
  diffVxlanKeys,
  kernelRouteFor,
  recordOps,
  renderBatches,
} from '../vxlan-diff.js'
import type { ChangedKeys } from '../../calc/vxlan-patch.js'
import { dumpKernelState, parseRoutes, type IpRouteJson } from './kernel-dump.js'
import type { BatchWriter, Iproute2 } from './iproute2.js'
import type { NetlinkWriter } from './netlink-writer.js'
import { deleteVxlanDevice, ensureVxlanDevice, type DeviceInfo } from './vxlan-device.js'

/** The contract the VXLAN manager and the dataplane loop use (a fake implements it in tests). */
export interface VxlanDriver {
  /**
   * Replaces the desired state (cheap; nothing is programmed until `apply`). `changed` lists the
   * only keys that differ from the previous state (the calc's fast path); without it everything
   * is diffed.
   */
  setDesired(state: VxlanState, changed?: ChangedKeys): void
  /** Forgets what we believe the kernel holds; the next `apply` dumps and reconciles everything. */
  markForResync(): void
  /** Programs the difference. Throws DataplaneApplyError / DataplaneNotReadyError; the loop retries. */
  apply(signal?: AbortSignal): Promise<ApplyResult>
  /** Desired destinations held by foreign routes, by destination (what we wanted there). */
  readonly blockedRoutes: ReadonlyMap<string, KernelRoute>
}

/** No changed keys (warms the keyed diff; see apply). */
const NO_KEYS = { fdb: new Set<string>(), arp: new Set<string>(), routes: new Set<string>() }

/** Ops rendered per chunk when streaming a batch. */
const BATCH_CHUNK_OPS = 2000

const emptyActual = (): KernelVxlanState => ({
  fdb: new Map(),
  arp: new Map(),
  routes: new Map(),
  foreignRoutes: new Set(),
})

const sameVtep = (a: Vtep | undefined, b: Vtep | undefined): boolean =>
  a !== undefined &&
  b !== undefined &&
  a.nodeIp === b.nodeIp &&
  a.tunnelIp === b.tunnelIp &&
  a.mac === b.mac

/** Counters the driver exposes for metrics. */
export interface VxlanDriverStats {
  resyncs: number
  changes: number
  entries: { fdb: number; arp: number; routes: number }
  /** Desired destinations held by foreign routes (see {@link KernelVxlanDriver.blockedRoutes}). */
  blockedRoutes: number
}

/** Kernel driver built from iproute2 (device, dumps, batches) and netlink (change sets). */
export class KernelVxlanDriver implements VxlanDriver {
  #desired: VxlanState | undefined
  #actual: KernelVxlanState = emptyActual()
  #resyncPending = true
  #device: DeviceInfo | undefined
  #deviceFor: Vtep | undefined
  /** RouteSpec → KernelRoute for the current device and parent names (reset when they change). */
  #routeCache = new WeakMap<RouteSpec, KernelRoute>()
  #routeCacheParent = ''
  /** The next apply must diff everything (a full state arrived, or the last apply failed). */
  #fullDiff = true
  /** Keys changed since the last successful apply when only fast-path states arrived. */
  #pending: { fdb: Set<string>; arp: Set<string>; routes: Set<string> } | undefined
  readonly stats: VxlanDriverStats = {
    resyncs: 0,
    changes: 0,
    entries: { fdb: 0, arp: 0, routes: 0 },
    blockedRoutes: 0,
  }
  /** Desired destinations a foreign route holds: dst → the route we wanted there. */
  readonly #blocked = new Map<string, KernelRoute>()
  /** Everything of ours was removed after our VTEP disappeared (until it comes back). */
  #removed = false

  constructor(
    private readonly cfg: VxlanDataplaneConfig,
    private readonly ip: Iproute2,
    private readonly netlink: NetlinkWriter | undefined,
    private readonly log: Logger
  ) {}

  setDesired(state: VxlanState, changed?: ChangedKeys): void {
    this.#desired = state
    if (changed === undefined) {
      this.#fullDiff = true
      this.#pending = undefined
    } else if (!this.#fullDiff) {
      const p = (this.#pending ??= { fdb: new Set(), arp: new Set(), routes: new Set() })
      for (const k of changed.fdb) p.fdb.add(k)
      for (const k of changed.arp) p.arp.add(k)
      for (const k of changed.routes) p.routes.add(k)
    }
  }

  markForResync(): void {
    this.#resyncPending = true
  }

  /** Desired destinations held by foreign routes (dst → the route we wanted). */
  get blockedRoutes(): ReadonlyMap<string, KernelRoute> {
    return this.#blocked
  }

  async apply(signal?: AbortSignal): Promise<ApplyResult> {
    const want = this.#desired
    if (want === undefined) return { status: 'waiting', changes: 0, mode: 'none', resynced: false }
    if (want.local === undefined) return await this.#removeAll(signal)
    this.#removed = false
    const resync = this.#resyncPending
    try {
      let changes = 0
      let deviceIsNew = false
      if (resync || this.#device === undefined || !sameVtep(this.#deviceFor, want.local)) {
        const dev = await ensureVxlanDevice(this.ip, this.cfg, want.local, this.log, signal)
        this.#device = dev
        this.#deviceFor = want.local
        changes += dev.changes
        if (dev.created) {
          deviceIsNew = true
          this.#actual = emptyActual()
          this.#resyncPending = true
        }
      }
      const device = this.#device
      if (this.#resyncPending) {
        this.#actual = await dumpKernelState(
          this.ip,
          this.cfg.deviceName,
          this.cfg.routeProtocol,
          signal,
          deviceIsNew
        )
        this.stats.resyncs++
      }
      if (this.#routeCacheParent !== device.parentName) {
        this.#routeCache = new WeakMap()
        this.#routeCacheParent = device.parentName
      }
      const toKernel = (r: RouteSpec): KernelRoute => {
        let k = this.#routeCache.get(r)
        if (k === undefined) {
          k = kernelRouteFor(r, this.cfg.deviceName, device.parentName, this.cfg.routeProtocol)
          this.#routeCache.set(r, k)
        }
        return k
      }
      const keyed = !this.#resyncPending && !this.#fullDiff
      const diff = keyed
        ? diffVxlanKeys(
            {
              fdb: want.fdb,
              arp: want.arp,
              route: (dst) => {
                const r = want.routes.get(dst)
                return r === undefined ? undefined : toKernel(r)
              },
            },
            this.#actual,
            this.#pending ?? { fdb: new Set(), arp: new Set(), routes: new Set() }
          )
        : diffVxlan(
            desiredKernel(
              want,
              this.cfg.deviceName,
              device.parentName,
              this.cfg.routeProtocol,
              this.#routeCache
            ),
            this.#actual
          )
      this.#fullDiff = true // until this apply succeeds
      if (keyed) {
        for (const dst of this.#pending?.routes ?? []) this.#blocked.delete(dst)
      } else this.#blocked.clear()
      for (const dst of diff.conflicts) {
        const r = want.routes.get(dst)
        if (r !== undefined) this.#blocked.set(dst, toKernel(r))
      }
      this.stats.blockedRoutes = this.#blocked.size
      if (diff.conflicts.length > 0) {
        this.log.warn(
          { conflicts: diff.conflicts.slice(0, 10), count: diff.conflicts.length },
          'routes held by foreign routes; skipped'
        )
      }
      let mode: ApplyResult['mode'] = 'none'
      if (diff.ops.length > 0) {
        // Anything that fails from here on leaves the kernel in an unknown state.
        this.#resyncPending = true
        if (
          this.netlink !== undefined &&
          this.cfg.useNetlink &&
          diff.ops.length <= this.cfg.netlinkMaxOps
        ) {
          mode = 'netlink'
          await this.netlink.apply(diff.ops, {
            device: device.ifindex,
            byName: new Map([
              [this.cfg.deviceName, device.ifindex],
              [device.parentName, device.parentIndex],
            ]),
          })
        } else {
          mode = 'batch'
          // Recording during the batch is safe: any failure marks a resync, which re-dumps.
          await this.#applyBatches(diff.ops, () => recordOps(this.#actual, diff.ops), signal)
        }
        if (mode === 'netlink') recordOps(this.#actual, diff.ops)
        changes += diff.ops.length
      }
      this.#resyncPending = false
      this.#fullDiff = false
      this.#pending = undefined
      // The next change takes the keyed diff: compile it now with no keys (it changes nothing).
      if (!keyed) diffVxlanKeys({ ...want, route: () => undefined }, this.#actual, NO_KEYS)
      // Ready for the next small change set (an apply without changes never opened it): once per
      // socket, a few ms, awaited so that it never competes with the next change. warm() logs
      // and never rejects.
      if (this.netlink !== undefined && this.cfg.useNetlink) await this.netlink.warm(device.ifindex)
      this.stats.changes += changes
      this.stats.entries = {
        fdb: this.#actual.fdb.size,
        arp: this.#actual.arp.size,
        routes: this.#actual.routes.size,
      }
      if (changes > 0 || resync) {
        this.log.debug(
          { changes, mode, resync, fdb: this.#actual.fdb.size, routes: this.#actual.routes.size },
          'vxlan dataplane applied'
        )
      }
      return { status: 'programmed', changes, mode, resynced: resync }
    } catch (err) {
      this.#resyncPending = true
      if (err instanceof DataplaneNotReadyError) throw err
      throw new DataplaneApplyError(
        'vxlan',
        this.cfg.deviceName,
        err,
        err instanceof Error ? err.message : undefined
      )
    }
  }

  /**
   * Our VTEP is gone (see the file comment): deletes our device and every route we own, once, and
   * again after each resync request (cheap when there is nothing left: two reads).
   */
  async #removeAll(signal?: AbortSignal): Promise<ApplyResult> {
    const resync = this.#resyncPending
    if (this.#removed && !resync)
      return { status: 'waiting', changes: 0, mode: 'none', resynced: false }
    try {
      let changes = 0
      if (await deleteVxlanDevice(this.ip, this.cfg.deviceName, signal)) changes++
      // The device took its FDB, ARP and routes along; routes of our protocol elsewhere remain.
      const dump = await this.ip.json<IpRouteJson>(
        'ip',
        ['-N', '-4', 'route', 'show', 'table', 'main'],
        signal
      )
      const ops: VxlanOp[] = [
        ...parseRoutes(dump, this.cfg.deviceName, this.cfg.routeProtocol).owned.values(),
      ].map((route) => ({ op: 'route-del', route }))
      if (ops.length > 0) {
        await this.ip.batch('ip', renderBatches(ops, this.cfg.deviceName).ip, signal)
        changes += ops.length
      }
      this.#device = undefined
      this.#deviceFor = undefined
      this.#actual = emptyActual()
      this.#blocked.clear()
      this.#fullDiff = true
      this.#pending = undefined
      this.#resyncPending = false
      this.#removed = true
      this.stats.changes += changes
      this.stats.entries = { fdb: 0, arp: 0, routes: 0 }
      this.stats.blockedRoutes = 0
      if (changes > 0)
        this.log.info(
          { iface: this.cfg.deviceName, changes },
          'our VTEP is gone (no VXLAN tunnel address or no Node); removed our device and routes'
        )
      return { status: 'waiting', changes, mode: changes > 0 ? 'batch' : 'none', resynced: resync }
    } catch (err) {
      this.#resyncPending = true
      throw new DataplaneApplyError(
        'vxlan',
        `cleanup of ${this.cfg.deviceName}`,
        err,
        err instanceof Error ? err.message : undefined
      )
    }
  }

  /**
   * Programs ops through `ip -batch` and `bridge -batch`. The ip batch (ARP + routes; routes with
   * distinct gateways dominate kernel time) starts first and is streamed chunk by chunk, so
   * rendering overlaps with kernel work; the FDB lines are collected meanwhile and fed to `bridge`
   * once all ip input is written, so the cheap FDB batch overlaps only with the ip batch's tail.
   * `whileRunning` (bookkeeping) runs while the tools work. Why not both tools from the start?
   * On a small (2-core) node they compete with each other and with rendering for the CPU and were
   * measured slower than the route batch alone followed by the FDB batch.
   */
  async #applyBatches(
    ops: readonly VxlanOp[],
    whileRunning: () => void,
    signal?: AbortSignal
  ): Promise<void> {
    const fdbLines: string[] = []
    const ipb = this.ip.openBatch('ip', signal)
    let bridge: BatchWriter | undefined
    let failure: unknown
    try {
      for (let i = 0; i < ops.length; i += BATCH_CHUNK_OPS) {
        const b = renderBatches(ops.slice(i, i + BATCH_CHUNK_OPS), this.cfg.deviceName)
        for (const l of b.bridge) fdbLines.push(l)
        await ipb.write(b.ip)
      }
      if (fdbLines.length > 0) {
        bridge = this.ip.openBatch('bridge', signal)
        await bridge.write(fdbLines)
      }
      whileRunning()
    } catch (err) {
      failure = err
    }
    // Both tools are always awaited (no orphaned process); a tool's own failure (with its stderr)
    // is reported before a write error it caused.
    const ends = await Promise.allSettled([ipb.end(), bridge?.end()])
    for (const e of ends) if (e.status === 'rejected') failure = e.reason
    if (failure !== undefined)
      throw failure instanceof Error ? failure : new Error(errorMessage(failure))
  }
}

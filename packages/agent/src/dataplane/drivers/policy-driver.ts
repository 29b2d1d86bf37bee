/**
 * The policy kernel driver: holds the desired state the PolicyManager handed over and makes the
 * kernel (ipsets, iptables of both families, workload routes) match it with the fewest writes.
 *
 * Overview (one `apply()`):
 *
 *   no desired state yet ──► 'waiting' (kernel untouched: fail-static)
 *   resync pending? ──► detect backend (once) → ipset save, iptables-save (4 tables × families),
 *                       ip route dumps; compare with what we programmed last → drift? (Felix guard)
 *   members-only and no resync ──► one `ipset restore` of the deltas (NEVER iptables)
 *   structural (or resync):
 *     1. ipset restore: creates, fills, swaps, member deltas     (sets exist before rules use them)
 *     2. iptables-restore per family and table, only if that table differs (by rule hash)
 *     3. ipset restore: destroys                                 (after no rule uses them)
 *     4. ip -batch: workload routes (failures are logged and retried at the next resync)
 *
 * Tracked state (`#sets`, `#tables`, `#routes`) is what we believe the kernel holds; it is replaced
 * by every resync read and updated after each successful write. Against a correct kernel every
 * path writes nothing, so an agent restart issues no iptables-restore and no ipset change.
 */
import type { Logger } from '@cattail/common'
import type {
  IpFamily,
  IpsetMemberDelta,
  IpsetSpec,
  IptablesTable,
  PolicyDesired,
} from '../../calc/policy/contract.js'
import { FelixConflictError } from '../../errors.js'
import type { ApplyResult } from '../types.js'
import { planTable, emptyTableState, type TableState } from '../policy/iptables-plan.js'
import {
  canonicalMember,
  desiredMembers,
  memberProblem,
  parseIpsetSave,
  planIpsets,
  type IpsetState,
} from '../policy/ipset-plan.js'
import type { IptablesBackend } from '../policy/backend.js'
import type { PolicyDataplaneConfig } from '../policy/config.js'
import type { ToolRunner } from './exec.js'
import { Iptables, detectIptablesBackend } from './iptables.js'
import {
  planWorkloadRoutes,
  readWorkloadRoutes,
  routeProblem,
  type OwnedRoutes,
} from './workload-routes.js'

/** Every table the agent may own chains in (read on resync to find stale chains). */
export const POLICY_TABLES: readonly IptablesTable[] = ['raw', 'mangle', 'nat', 'filter']

/** Counters and sizes for metrics and tests. */
export interface PolicyDriverStats {
  /** iptables-restore / ip6tables-restore invocations. */
  readonly iptablesRestores: number
  /** ipset restore invocations. */
  readonly ipsetRestores: number
  /** Owned ipsets and their members, as programmed. */
  readonly ipsets: number
  readonly ipsetMembers: number
  /** Our chains, both families, all tables. */
  readonly chains: number
  /** Resyncs that found our chains changed by someone else. */
  readonly driftRepairs: number
  /** Desired items skipped as invalid (last full apply). */
  readonly skipped: number
}

/** The contract the PolicyManager and the dataplane loop use. */
export interface PolicyDriver {
  /** Replaces the desired state (cheap). */
  setDesired(d: PolicyDesired): void
  /** Membership changes to sets of the current desired state (cheap). */
  addMemberDeltas(m: ReadonlyMap<string, IpsetMemberDelta>): void
  markForResync(): void
  apply(signal?: AbortSignal): Promise<ApplyResult>
}

type Key = `${IpFamily}:${IptablesTable}`

interface PendingDelta {
  readonly set: string
  readonly add: boolean
  readonly member: string
}

/** Programs ipsets, iptables and workload routes; see the file comment. */
export class KernelPolicyDriver implements PolicyDriver {
  #desired: PolicyDesired | undefined
  /** Desired sets with canonical member copies (deltas applied in place). */
  #sets = new Map<string, IpsetSpec & { members: Set<string> }>()
  #pendingDeltas: PendingDelta[] = []
  #structural = true
  #resync = true
  #known = false
  #iptables: Iptables | undefined
  #actualSets = new Map<string, IpsetState>()
  #tables = new Map<Key, TableState>()
  #routes = new Map<IpFamily, OwnedRoutes>()
  #foreign = new Map<IpFamily, Set<string>>()
  #repairs: number[] = []
  #driftRepairs = 0
  #ipsetRestores = 0
  #skipped = 0
  #conflict: FelixConflictError | undefined

  constructor(
    private readonly cfg: PolicyDataplaneConfig,
    private readonly runner: ToolRunner,
    private readonly log: Logger,
    private readonly now: () => number = Date.now
  ) {}

  /** The backend in use (after the first resync). */
  get backend(): IptablesBackend | undefined {
    return this.#iptables?.backend
  }

  get stats(): PolicyDriverStats {
    let members = 0
    for (const s of this.#actualSets.values()) members += s.members.size
    let chains = 0
    for (const t of this.#tables.values()) chains += t.chains.size
    return {
      iptablesRestores: this.#iptables?.restores ?? 0,
      ipsetRestores: this.#ipsetRestores,
      ipsets: this.#actualSets.size,
      ipsetMembers: members,
      chains,
      driftRepairs: this.#driftRepairs,
      skipped: this.#skipped,
    }
  }

  setDesired(d: PolicyDesired): void {
    this.#desired = d
    const skipped: { name: string; reason: string }[] = []
    this.#sets = new Map(
      [...d.ipsets.values()].map((s) => [s.name, { ...s, members: desiredMembers(s, skipped) }])
    )
    for (const s of skipped) this.log.warn(s, 'ipset member skipped')
    this.#structural = true
    this.#pendingDeltas = []
  }

  addMemberDeltas(m: ReadonlyMap<string, IpsetMemberDelta>): void {
    for (const [name, delta] of m) {
      const set = this.#sets.get(name)
      if (set === undefined) {
        this.#structural = true // a set we do not hold: reconcile everything
        continue
      }
      for (const [add, list] of [
        [false, delta.del],
        [true, delta.add],
      ] as const) {
        for (const raw of list) {
          if (memberProblem(raw) !== undefined) {
            this.log.warn({ set: name, member: raw }, 'ipset member skipped')
            continue
          }
          const member = canonicalMember(raw, set.family)
          if (add) set.members.add(member)
          else set.members.delete(member)
          this.#pendingDeltas.push({ set: name, add, member })
        }
      }
    }
  }

  markForResync(): void {
    this.#resync = true
  }

  async apply(signal?: AbortSignal): Promise<ApplyResult> {
    if (this.#conflict !== undefined) throw this.#conflict
    const desired = this.#desired
    if (desired === undefined)
      return { status: 'waiting', changes: 0, mode: 'none', resynced: false }
    const resynced = this.#resync
    if (resynced) {
      await this.#read(signal)
      this.#resync = false
      this.#structural = true
    }
    if (!this.#structural) {
      const changes = await this.#applyDeltas(signal)
      return { status: 'programmed', changes, mode: changes > 0 ? 'batch' : 'none', resynced }
    }
    let changes = 0
    try {
      changes = await this.#reconcile(desired, signal)
    } catch (err) {
      this.#resync = true
      throw err
    }
    this.#structural = false
    this.#pendingDeltas = []
    return { status: 'programmed', changes, mode: changes > 0 ? 'batch' : 'none', resynced }
  }

  async #ipsetRestore(lines: readonly string[], signal?: AbortSignal): Promise<void> {
    if (lines.length === 0) return
    this.#ipsetRestores++
    await this.runner.run('ipset', ['restore'], {
      stdin: lines.join('\n') + '\n',
      ...(signal && { signal }),
    })
  }

  async #applyDeltas(signal?: AbortSignal): Promise<number> {
    const lines: string[] = []
    const applied: PendingDelta[] = []
    for (const d of this.#pendingDeltas) {
      const actual = this.#actualSets.get(d.set)
      if (actual === undefined) continue // covered by the next structural apply
      if (d.add === actual.members.has(d.member)) continue
      lines.push(`${d.add ? 'add' : 'del'} ${d.set} ${d.member} -exist`)
      applied.push(d)
    }
    this.#pendingDeltas = []
    try {
      await this.#ipsetRestore(lines, signal)
    } catch (err) {
      this.#resync = true
      throw err
    }
    for (const d of applied) {
      const m = this.#actualSets.get(d.set)?.members
      if (d.add) m?.add(d.member)
      else m?.delete(d.member)
    }
    return lines.length
  }

  /** Re-reads everything; records drift of chains we programmed before (Felix guard). */
  async #read(signal?: AbortSignal): Promise<void> {
    this.#iptables ??= new Iptables(
      this.runner,
      await detectIptablesBackend(this.runner, this.cfg.iptablesBackend, signal),
      this.cfg
    )
    this.#actualSets = parseIpsetSave(
      await this.runner.run('ipset', ['save'], { ...(signal && { signal }) })
    )
    const drifted: string[] = []
    for (const family of this.cfg.families) {
      for (const table of POLICY_TABLES) {
        const key: Key = `${family}:${table}`
        const now = await this.#iptables.read(family, table, signal)
        const before = this.#tables.get(key)
        if (this.#known && before !== undefined) drifted.push(...driftOf(before, now, key))
        this.#tables.set(key, now)
      }
      const view = await readWorkloadRoutes(
        this.runner,
        family,
        this.cfg.workloadRouteProtocol,
        this.cfg.workloadInterfacePrefix,
        signal
      )
      this.#routes.set(family, view.owned)
      this.#foreign.set(family, view.foreign)
    }
    this.#known = true
    if (drifted.length > 0) this.#onDrift(drifted)
  }

  #onDrift(chains: readonly string[]): void {
    this.#driftRepairs++
    const t = this.now()
    this.#repairs = [...this.#repairs.filter((x) => t - x < this.cfg.felixGuardWindowMs), t]
    this.log.warn(
      { chains: chains.slice(0, 10), repairs: this.#repairs.length },
      'iptables drift repaired'
    )
    if (this.#repairs.length >= this.cfg.felixGuardRepairs) {
      this.#conflict = new FelixConflictError(
        this.#repairs.length,
        this.cfg.felixGuardWindowMs,
        chains
      )
      throw this.#conflict
    }
  }

  async #reconcile(desired: PolicyDesired, signal?: AbortSignal): Promise<number> {
    const ipt = this.#iptables
    if (ipt === undefined) throw new Error('policy driver: reconcile before the first read')
    let changes = 0
    let skipped = 0
    // 1. ipsets first: every set exists and is filled before a rule can refer to it.
    const sets = planIpsets(this.#sets, this.#actualSets)
    for (const s of sets.skipped) this.log.warn(s, 'ipset skipped')
    skipped += sets.skipped.length
    await this.#ipsetRestore(sets.before, signal)
    changes += sets.before.length
    for (const name of sets.created) this.#actualSets.set(name, stateOf(this.#sets.get(name)))
    for (const [name, want] of this.#sets) {
      const have = this.#actualSets.get(name)
      if (have !== undefined)
        this.#actualSets.set(name, { ...have, members: new Set(want.members) })
    }
    // 2. iptables, one transaction per family and table that differs.
    for (const family of this.cfg.families) {
      for (const table of POLICY_TABLES) {
        const key: Key = `${family}:${table}`
        const chains = desired.chains[family].get(table) ?? new Map()
        const hooks = desired.hooks.filter((h) => h.table === table)
        const plan = planTable(
          table,
          { chains, hooks },
          this.#tables.get(key) ?? emptyTableState(),
          ipt.backend === 'nft'
        )
        for (const s of plan.skipped) this.log.warn({ family, table, ...s }, 'chain skipped')
        skipped += plan.skipped.length
        if (plan.script !== undefined) await ipt.restore(family, plan.script, signal)
        if (plan.deleteScript !== undefined) await ipt.restore(family, plan.deleteScript, signal)
        if (plan.script !== undefined || plan.deleteScript !== undefined) {
          this.log.info(
            {
              family,
              table,
              written: plan.written.length,
              deleted: plan.deleted.length,
              hooks: plan.hooksRewritten,
            },
            'iptables table updated'
          )
          changes += plan.written.length + plan.deleted.length + plan.hooksRewritten.length
        }
        this.#tables.set(key, plan.after)
      }
    }
    // 3. ipsets no longer used by any rule.
    await this.#ipsetRestore(sets.after, signal)
    changes += sets.after.length
    for (const name of sets.destroyed) this.#actualSets.delete(name)
    // 4. workload routes (a vanished interface must not block policy: logged, retried on resync).
    for (const family of this.cfg.families) {
      const want = desired.workloadRoutes.filter((r) => {
        if (r.family !== family) return false
        const p = routeProblem(r, this.cfg.workloadInterfacePrefix)
        if (p !== undefined) {
          this.log.warn({ dst: r.dst, dev: r.dev, reason: p }, 'workload route skipped')
          skipped++
        }
        return p === undefined
      })
      const view = {
        owned: this.#routes.get(family) ?? new Map<string, string>(),
        foreign: this.#foreign.get(family) ?? new Set<string>(),
      }
      const plan = planWorkloadRoutes(family, want, view, this.cfg.workloadRouteProtocol, this.log)
      if (plan.lines.length === 0) continue
      try {
        await this.runner.run('ip', [`-${family}`, '-force', '-batch', '-'], {
          stdin: plan.lines.join('\n') + '\n',
          ...(signal && { signal }),
        })
        this.#routes.set(family, plan.after)
        changes += plan.lines.length
      } catch (err) {
        this.log.warn({ err, family }, 'workload routes partly failed; retried at the next resync')
        this.#routes.set(family, plan.after)
      }
    }
    this.#skipped = skipped
    return changes
  }
}

const stateOf = (s: (IpsetSpec & { members: Set<string> }) | undefined): IpsetState => ({
  name: s?.name ?? '',
  type: s?.type ?? 'hash:net',
  family: s?.family ?? 4,
  maxelem: 1048576,
  members: new Set(s?.members),
})

const same = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i])

/** Chains (and hooked built-ins) we programmed whose rules changed since. */
function driftOf(before: TableState, now: TableState, key: string): string[] {
  const out: string[] = []
  for (const [name, hashes] of before.chains)
    if (!same(hashes, now.chains.get(name))) out.push(`${key}:${name}`)
  for (const [name, hashes] of before.builtins) {
    const ours = (l: readonly string[] | undefined): string[] => (l ?? []).filter((h) => h !== '')
    if (!same(ours(hashes), ours(now.builtins.get(name)))) out.push(`${key}:${name}`)
  }
  return out
}

/**
 * The contract between the pure policy calc (`calc/policy/`) and the policy dataplane
 * (`dataplane/policy-*`, `dataplane/drivers/iptables*`, `ipset*`): the calc decides what the
 * kernel should hold (ipsets, iptables chains, hooks into built-in chains, workload routes); the
 * dataplane programs it. Membership-only changes travel as ipset deltas so that a remote pod
 * appearing or being relabelled touches one ipset and never iptables.
 *
 * Rules are rendered as iptables-restore rule bodies: the text that follows `-A <chain> ` (the
 * dataplane adds `-A <chain>` and the hash comment `-m comment --comment "cali:<hash>"`).
 */
import type { KVUpdate } from '@cattail/model'

/** Address family. */
export type IpFamily = 4 | 6

/** Desired state of one ipset. */
export interface IpsetSpec {
  /** Full kernel name, e.g. `cali40s:5y5I3VdRZfDU01O--xXAPx2` (at most 31 characters). */
  readonly name: string
  readonly family: IpFamily
  /** `hash:net` for addresses and CIDRs, `hash:ip,port` for named ports. */
  readonly type: 'hash:net' | 'hash:ip' | 'hash:ip,port'
  /** Members as `ipset add` writes them: `198.19.1.5`, `198.19.0.0/26`, `198.19.1.5,tcp:5432`. */
  readonly members: ReadonlySet<string>
}

/** The iptables tables the agent programs. */
export type IptablesTable = 'filter' | 'nat' | 'mangle' | 'raw'

/** One chain we own: its rules as iptables-restore rule bodies (what follows `-A <chain> `). */
export interface ChainSpec {
  readonly name: string
  readonly rules: readonly string[]
}

/** Desired chains of one family: table → chain name → chain. Only chains named `cali-*`. */
export type FamilyChains = ReadonlyMap<IptablesTable, ReadonlyMap<string, ChainSpec>>

/** A jump from a built-in chain into one of ours, inserted at the top of the built-in chain. */
export interface ChainHook {
  readonly table: IptablesTable
  readonly builtin: 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING'
  /** Our chain, e.g. `cali-FORWARD`. */
  readonly target: string
}

/** A route the agent keeps present for a local workload: `<ip>/32 dev <iface> scope link`. */
export interface WorkloadRoute {
  /** CIDR: `/32` for IPv4, `/128` for IPv6. */
  readonly dst: string
  readonly dev: string
  readonly family: IpFamily
}

/** Everything the policy dataplane should program, computed by the calc. */
export interface PolicyDesired {
  readonly ipsets: ReadonlyMap<string, IpsetSpec>
  readonly chains: { readonly 4: FamilyChains; readonly 6: FamilyChains }
  /** Hooks, the same for both families (a family without chains of that table gets none). */
  readonly hooks: readonly ChainHook[]
  readonly workloadRoutes: readonly WorkloadRoute[]
}

/** Members added to and removed from one ipset. */
export interface IpsetMemberDelta {
  readonly add: readonly string[]
  readonly del: readonly string[]
}

/** What changed since the previous {@link PolicyCalc.takeChanges}. */
export interface PolicyCalcChanges {
  /**
   * Membership changes to ipsets that exist in the last desired state handed out. Complete even
   * when `structural` is true, so a dataplane may apply them before rewriting anything else.
   */
  readonly members: ReadonlyMap<string, IpsetMemberDelta>
  /** Anything else changed (ipsets added or removed, chains, hooks, routes): call `desired()`. */
  readonly structural: boolean
}

/** A resource the calc could not use, reported and skipped (never fail open). */
export interface PolicyProblem {
  /** Canonical key of the resource. */
  readonly key: string
  readonly reason: string
}

/** The pure, incremental policy calculation the policy manager drives. */
export interface PolicyCalc {
  /** Records one update cheaply (no rendering). */
  onUpdate(update: KVUpdate): void
  /** Changes since the previous call; resets the change record. */
  takeChanges(): PolicyCalcChanges
  /** The complete desired state now (rendered lazily, cached until the next structural change). */
  desired(): PolicyDesired
  /** Resources currently rejected, with reasons (logs, metrics, `cattail status`). */
  problems(): readonly PolicyProblem[]
}

/**
 * The incremental policy calc ({@link PolicyCalc}, contract.ts).
 *
 * `onUpdate` only records: resources are validated and prepared (rule selectors → v1 → set ids),
 * set references are taken and released, and the `LabelIndex` in {@link PolicyStore} keeps every
 * set's members current, recording member deltas. Anything that can change chains, hooks, routes
 * or the list of sets marks the state structural; `desired()` then renders everything once and
 * caches it; a later membership-only change refreshes just the members of the changed sets.
 *
 * Never fail open: an update that cannot be used (invalid policy, profile or selector) is reported
 * as a problem and the previous valid version of that resource stays in force, so the endpoints it
 * applied to keep their previous rules; a resource that never had a valid version is skipped.
 */
import type { KVUpdate, Resource } from '@cattail/model'
import { LABEL_NAMESPACE, parseKey } from '@cattail/model'
import { assertNever } from '@cattail/common'
import type { NodeInput, PoolInput } from '../types.js'
import type {
  ChainHook,
  ChainSpec,
  FamilyChains,
  IpFamily,
  IptablesTable,
  PolicyCalc,
  PolicyCalcChanges,
  PolicyDesired,
  PolicyProblem,
  WorkloadRoute,
} from './contract.js'
import { CHAIN_PREFIX, chainName } from './names.js'
import {
  resolvePolicyOptions,
  type PolicyCalcOptions,
  type ResolvedPolicyOptions,
} from './options.js'
import { PrepareError, preparePolicy, prepareProfile, type PreparedPolicy } from './prepare.js'
import {
  MASQ_IPAM_POOLS,
  appliedTiers,
  comparePolicies,
  endpointChainRules,
  objectChains,
  staticChains,
  tierSort,
  type LocalEndpointPlan,
} from './render-chains.js'
import { familyOf } from './render-rule.js'
import { PolicyStore, addrsOf, memberForm } from './store.js'
import { buildIpsets, refreshIpsets, staticSets } from './ipset-state.js'
import { VtepCalc } from '../vtep-calc.js'
import { EndpointLabels, endpointRecord, sameLocalEndpoint } from './records.js'

/** Hooks from built-in chains (the same for both families). */
export const POLICY_HOOKS: readonly ChainHook[] = [
  { table: 'filter', builtin: 'INPUT', target: 'cali-INPUT' },
  { table: 'filter', builtin: 'FORWARD', target: 'cali-FORWARD' },
  { table: 'filter', builtin: 'OUTPUT', target: 'cali-OUTPUT' },
  { table: 'nat', builtin: 'POSTROUTING', target: 'cali-POSTROUTING' },
]

const FAMILIES: readonly IpFamily[] = [4, 6]

/** The calc; also the model the trace evaluator reads. */
export class PolicyCalcImpl implements PolicyCalc {
  readonly opts: ResolvedPolicyOptions
  readonly store = new PolicyStore()
  readonly #nodes = new Map<string, NodeInput>()
  readonly #pools = new Map<string, PoolInput>()
  /** Static v4 sets: name → members. */
  #staticSets = new Map<string, ReadonlySet<string>>()
  /** VTEPs memoised per node input (the node map keeps unchanged inputs' identity). */
  readonly #vtepCalc = new VtepCalc()
  #staticDirty = true
  /** Something beyond membership changed since the last takeChanges. */
  #structural = true
  /** The cached rendering is stale. */
  #renderDirty = true
  #cached: PolicyDesired | undefined
  #cachedSetIds: ReadonlySet<string> = new Set()
  /** Last good endpoint chains by chain name (used when rendering an endpoint throws). */
  readonly #lastGood = new Map<string, string[]>()
  /** Last value text of policies, profiles and tiers (unchanged resyncs are not structural). */
  readonly #lastText = new Map<string, string>()
  /** Endpoints with equal labels share one completed label map. */
  readonly #labels = new EndpointLabels()

  #markStructural(): void {
    this.#structural = true
    this.#renderDirty = true
  }

  constructor(opts: PolicyCalcOptions) {
    this.opts = resolvePolicyOptions(opts)
  }

  onUpdate(u: KVUpdate): void {
    const key = parseKey(u.key)
    if (key === undefined) return
    const v = u.value
    switch (key.kind) {
      case 'WorkloadEndpoint':
      case 'HostEndpoint': {
        const rec =
          v === undefined
            ? undefined
            : endpointRecord(u.key, key.cluster, v, this.opts.nodeName, this.#labels)
        const old = this.store.endpoints.get(u.key)
        if ((old?.local === true || rec?.local === true) && !sameLocalEndpoint(old, rec)) {
          this.#markStructural()
        }
        this.store.updateEndpoint(u.key, rec)
        return
      }
      case 'NetworkSet':
      case 'GlobalNetworkSet': {
        if (key.cluster !== undefined) return // never synced from remotes; ignore if they are
        if (v === undefined || (v.kind !== 'NetworkSet' && v.kind !== 'GlobalNetworkSet')) {
          this.store.updateNetSet(u.key, undefined, {}, [])
          return
        }
        const ns = v.kind === 'NetworkSet' ? (v.metadata.namespace ?? key.namespace) : undefined
        const labels: Record<string, string> = { ...v.metadata.labels }
        if (ns !== undefined) labels[LABEL_NAMESPACE] = ns
        const nets = v.spec.nets.map((n) => memberForm(n))
        this.store.updateNetSet(
          u.key,
          { key: u.key, nets },
          labels,
          ns === undefined ? [] : [`kns.${ns}`]
        )
        return
      }
      case 'Profile':
        if (this.#unchanged(u)) return
        this.#onProfile(u.key, key.cluster, v)
        return
      case 'NetworkPolicy':
      case 'GlobalNetworkPolicy':
        if (key.cluster !== undefined) return // policies are never federated
        if (this.#unchanged(u)) return
        this.#onPolicy(u.key, v)
        return
      case 'Tier':
        if (key.cluster !== undefined || this.#unchanged(u)) return
        if (v?.kind === 'Tier') {
          this.store.tiers.set(key.name, {
            order: v.spec.order,
            defaultAction: v.spec.defaultAction ?? 'Deny',
          })
        } else this.store.tiers.delete(key.name)
        this.#markStructural()
        return
      case 'Node':
        if (v?.kind === 'Node') {
          this.#nodes.set(u.key, {
            id: v.metadata.name,
            name: key.name,
            cluster: key.cluster,
            spec: v.spec,
          })
        } else this.#nodes.delete(u.key)
        this.#staticDirty = true
        return
      case 'IPPool':
        if (v?.kind === 'IPPool') {
          this.#pools.set(u.key, { id: u.key, cluster: key.cluster, spec: v.spec })
        } else this.#pools.delete(u.key)
        this.#staticDirty = true
        return
      case 'IPAMBlock':
      case 'RemoteClusterConfiguration':
      case 'RemoteClusterStatus':
      case 'Service':
      case 'Endpoints':
      case 'Secret':
        return // not policy input
      default:
        assertNever(key.kind, 'resource kind')
    }
  }

  /** True when a policy, profile or tier update repeats the stored value (a resync). */
  #unchanged(u: KVUpdate): boolean {
    const text =
      u.value === undefined ? undefined : JSON.stringify([u.value.metadata, u.value.spec])
    if (text === this.#lastText.get(u.key)) return true
    if (text === undefined) this.#lastText.delete(u.key)
    else this.#lastText.set(u.key, text)
    return false
  }

  #onProfile(key: string, cluster: string | undefined, v: Resource | undefined): void {
    const prof = v?.kind === 'Profile' ? v : undefined
    const name = prof?.metadata.name ?? this.#profileNameOf(key)
    this.store.updateProfileLabels(name, prof?.spec.labelsToApply)
    if (cluster !== undefined) return // remote profiles: labels only
    const old = this.store.profiles.get(name)
    if (prof === undefined) {
      if (old !== undefined) this.store.release(old)
      this.store.profiles.delete(name)
      this.store.problems.delete(key)
      this.#markStructural()
      return
    }
    try {
      const p = prepareProfile(key, name, prof.spec.ingress, prof.spec.egress)
      this.store.acquire(p)
      if (old !== undefined) this.store.release(old)
      this.store.profiles.set(name, p)
      this.store.problems.delete(key)
    } catch (err) {
      if (!(err instanceof PrepareError)) throw err
      this.store.problems.set(
        key,
        `${err.message}${old === undefined ? '' : ' (previous version kept)'}`
      )
    }
    this.#markStructural()
  }

  #profileNameOf(key: string): string {
    const k = parseKey(key)
    return k === undefined ? key : k.cluster === undefined ? k.name : `${k.cluster}/${k.name}`
  }

  #onPolicy(key: string, v: Resource | undefined): void {
    const old = this.store.policies.get(key)
    this.#markStructural()
    if (v === undefined || (v.kind !== 'NetworkPolicy' && v.kind !== 'GlobalNetworkPolicy')) {
      if (old !== undefined) this.store.release(old)
      this.store.policies.delete(key)
      this.store.problems.delete(key)
      return
    }
    try {
      const p = preparePolicy(key, v.kind, v.metadata.name, v.metadata.namespace, v.spec)
      this.store.acquire(p)
      if (old !== undefined) this.store.release(old)
      this.store.policies.set(key, p)
      this.store.problems.delete(key)
    } catch (err) {
      if (!(err instanceof PrepareError)) throw err
      this.store.problems.set(
        key,
        `${err.message}${old === undefined ? '' : ' (previous version kept)'}`
      )
    }
  }

  #refreshStatic(): void {
    if (!this.#staticDirty) return
    this.#staticDirty = false
    const next = staticSets(this.#nodes.values(), this.#pools.values(), (n) =>
      this.#vtepCalc.vtep(n)
    )
    const hadNat = (this.#staticSets.get(MASQ_IPAM_POOLS)?.size ?? 0) > 0
    for (const [name, members] of next) {
      const prev = this.#staticSets.get(name) ?? new Set<string>()
      for (const m of members) if (!prev.has(m)) this.store.recordDelta(name, m, true)
      for (const m of prev) if (!members.has(m)) this.store.recordDelta(name, m, false)
    }
    this.#staticSets = next
    // The nat-outgoing rule exists only while some local pool has natOutgoing.
    if (hadNat !== (next.get(MASQ_IPAM_POOLS)?.size ?? 0) > 0) this.#markStructural()
  }

  takeChanges(): PolicyCalcChanges {
    this.#refreshStatic()
    // Once per batch: the item sets of labels no selector uses go (cheap when there are none).
    this.store.compactIndex()
    const structural = this.#structural
    this.#structural = false
    return { members: this.store.takeDeltas(), structural }
  }

  desired(): PolicyDesired {
    this.#refreshStatic()
    if (this.#cached === undefined || this.#renderDirty) {
      this.#cached = this.#render()
      this.#renderDirty = false
      this.store.dirtySets.clear()
    } else if (this.store.dirtySets.size > 0 || this.#staticChanged()) {
      this.#cached = {
        ...this.#cached,
        ipsets: refreshIpsets(
          this.store,
          this.#staticSets,
          this.#cachedSetIds,
          this.#cached.ipsets
        ),
      }
      this.store.dirtySets.clear()
    }
    this.store.handedOut = new Set(this.#cached.ipsets.keys())
    return this.#cached
  }

  #staticChanged(): boolean {
    const c = this.#cached
    if (c === undefined) return true
    for (const [name, members] of this.#staticSets) {
      if (c.ipsets.get(name)?.members !== members) return true
    }
    return false
  }

  problems(): readonly PolicyProblem[] {
    return [...this.store.problems].map(([key, reason]) => ({ key, reason }))
  }

  /** Every valid policy, sorted by tier then policy order. */
  sortedPolicies(): PreparedPolicy[] {
    const byTier = tierSort(this.store.tiers, this.opts.defaultTierOrder)
    return [...this.store.policies.values()].sort(
      (a, b) => byTier(a.tier, b.tier) || comparePolicies(a, b)
    )
  }

  /** What applies to each local endpoint. */
  plans(): LocalEndpointPlan[] {
    const sorted = this.sortedPolicies()
    const plans: LocalEndpointPlan[] = []
    for (const ep of this.store.endpoints.values()) {
      if (!ep.local || ep.iface === undefined) continue
      const labels = this.store.labelsOf(ep.key) ?? new Map<string, string>()
      plans.push({
        ep,
        iface: ep.iface,
        ingress: appliedTiers(sorted, this.store.tiers, labels, 'ingress'),
        egress: appliedTiers(sorted, this.store.tiers, labels, 'egress'),
        profiles: ep.profiles.filter((p) => this.store.profiles.has(p)),
      })
    }
    return plans
  }

  #render(): PolicyDesired {
    const plans = this.plans()
    const setIds = new Set<string>()
    const families = {} as Record<IpFamily, FamilyChains>
    for (const family of FAMILIES) {
      const ctx = { family, marks: this.opts.marks, logPrefix: this.opts.logPrefix }
      const natOutgoing = (this.#staticSets.get(MASQ_IPAM_POOLS)?.size ?? 0) > 0
      const { filter, nat } = staticChains(family, plans, natOutgoing, this.opts)
      for (const plan of plans) {
        for (const [dir, prefix] of [
          ['ingress', CHAIN_PREFIX.toWorkload],
          ['egress', CHAIN_PREFIX.fromWorkload],
        ] as const) {
          const name = chainName(prefix, plan.iface)
          const lastKey = `${String(family)}:${name}`
          let rules: string[]
          try {
            const tiers = dir === 'ingress' ? plan.ingress : plan.egress
            rules = endpointChainRules(dir, tiers, plan.profiles, family, this.opts)
            this.#lastGood.set(lastKey, rules)
          } catch {
            rules = this.#lastGood.get(lastKey) ?? ['--jump DROP']
          }
          filter.set(name, rules)
        }
      }
      const { chains, used } = objectChains(plans, this.store.profiles, ctx)
      for (const [name, rules] of chains) filter.set(name, rules)
      for (const p of used) for (const id of p.sets.keys()) setIds.add(id)
      const tables = new Map<IptablesTable, ReadonlyMap<string, ChainSpec>>()
      tables.set('filter', toSpecs(filter))
      if (nat.size > 0) tables.set('nat', toSpecs(nat))
      families[family] = tables
    }
    this.#cachedSetIds = setIds
    const routes: WorkloadRoute[] = []
    for (const plan of plans) {
      for (const a of addrsOf(plan.ep)) {
        const family = familyOf(a)
        const dst = a.includes('/') ? a : `${a}/${family === 4 ? '32' : '128'}`
        routes.push({ dst, dev: plan.iface, family })
      }
    }
    routes.sort((a, b) => (a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0))
    return {
      ipsets: buildIpsets(this.store, this.#staticSets, setIds),
      chains: { 4: families[4], 6: families[6] },
      hooks: POLICY_HOOKS,
      workloadRoutes: routes,
    }
  }
}

function toSpecs(m: ReadonlyMap<string, string[]>): Map<string, ChainSpec> {
  const out = new Map<string, ChainSpec>()
  for (const [name, rules] of m) out.set(name, { name, rules })
  return out
}

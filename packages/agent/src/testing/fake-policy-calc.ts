/**
 * A hand-written PolicyCalc for dataplane tests (tests only): the test sets the desired state
 * (shaped like Felix's renderings) and membership changes by hand; the fake reports them through
 * `takeChanges()` exactly as the contract says.
 */
import type { KVUpdate } from '@cattail/model'
import type {
  ChainHook,
  ChainSpec,
  FamilyChains,
  IpFamily,
  IpsetMemberDelta,
  IpsetSpec,
  IptablesTable,
  PolicyCalc,
  PolicyCalcChanges,
  PolicyDesired,
  PolicyProblem,
  WorkloadRoute,
} from '../calc/policy/contract.js'

/** A controllable PolicyCalc. */
export class FakePolicyCalc implements PolicyCalc {
  readonly updates: KVUpdate[] = []
  #desired: PolicyDesired
  #structural = true
  #members = new Map<string, { add: string[]; del: string[] }>()
  #problems: PolicyProblem[] = []

  constructor(desired: PolicyDesired = emptyDesired()) {
    this.#desired = desired
  }

  onUpdate(update: KVUpdate): void {
    this.updates.push(update)
  }

  takeChanges(): PolicyCalcChanges {
    const members = new Map<string, IpsetMemberDelta>(this.#members)
    const out = { members, structural: this.#structural }
    this.#members = new Map()
    this.#structural = false
    return out
  }

  desired(): PolicyDesired {
    return this.#desired
  }

  problems(): readonly PolicyProblem[] {
    return this.#problems
  }

  /** Replaces the whole desired state (a structural change). */
  setDesired(d: PolicyDesired, problems: PolicyProblem[] = []): void {
    this.#desired = d
    this.#structural = true
    this.#problems = problems
  }

  /** Changes the members of one existing set (a membership-only change). */
  changeMembers(set: string, add: readonly string[], del: readonly string[] = []): void {
    const s = this.#desired.ipsets.get(set)
    if (s === undefined) throw new Error(`fake calc: no set ${set}`)
    const members = new Set(s.members)
    for (const m of del) members.delete(m)
    for (const m of add) members.add(m)
    const ipsets = new Map(this.#desired.ipsets)
    ipsets.set(set, { ...s, members })
    this.#desired = { ...this.#desired, ipsets }
    const d = this.#members.get(set) ?? { add: [], del: [] }
    d.add.push(...add)
    d.del.push(...del)
    this.#members.set(set, d)
  }
}

/** An empty desired state. */
export function emptyDesired(): PolicyDesired {
  return {
    ipsets: new Map(),
    chains: { 4: new Map(), 6: new Map() },
    hooks: [],
    workloadRoutes: [],
  }
}

/** Builds a desired state from plain lists (both families get the same chains unless `v6` given). */
export function desiredOf(o: {
  readonly ipsets?: readonly IpsetSpec[]
  readonly v4?: Partial<Record<IptablesTable, readonly ChainSpec[]>>
  readonly v6?: Partial<Record<IptablesTable, readonly ChainSpec[]>>
  readonly hooks?: readonly ChainHook[]
  readonly routes?: readonly WorkloadRoute[]
}): PolicyDesired {
  const fam = (t: Partial<Record<IptablesTable, readonly ChainSpec[]>> = {}): FamilyChains =>
    new Map(
      Object.entries(t).map(([table, chains]) => [
        table as IptablesTable,
        new Map(chains.map((c) => [c.name, c])),
      ])
    )
  return {
    ipsets: new Map((o.ipsets ?? []).map((s) => [s.name, s])),
    chains: { 4: fam(o.v4), 6: fam(o.v6 ?? o.v4) },
    hooks: o.hooks ?? [],
    workloadRoutes: o.routes ?? [],
  }
}

/** A `hash:net` set. */
export function netSet(name: string, family: IpFamily, members: readonly string[]): IpsetSpec {
  return { name, family, type: 'hash:net', members: new Set(members) }
}

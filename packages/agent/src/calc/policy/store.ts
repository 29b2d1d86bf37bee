/**
 * The policy calc's state: endpoints, network sets, profiles, policies, tiers, nodes and pools,
 * plus the incremental ipset membership.
 *
 * Membership: every endpoint (local and remote WEPs, HEPs) and network set is an item of one
 * `LabelIndex`; profiles are its parents (namespace and service-account labels, `b/kns.<ns>` for
 * remote ones); every ipset a valid policy or profile uses is one of its selectors. The index's
 * match events add and remove the item's addresses (or `ip,proto:port` for named-port sets) with
 * a reference count per member, and each 0↔1 transition is recorded as a member delta of the
 * kernel set. Nothing here scans all items on a change. Pure.
 */
import { LabelIndex } from '@cattail/selector'
import type { EndpointPort } from '@cattail/model'
import type { IpFamily, IpsetMemberDelta } from './contract.js'
import type { PreparedPolicy, SetDef } from './prepare.js'
import { familyOf, setName } from './render-rule.js'

/** An endpoint (workload or host) as the calc keeps it. */
export interface EndpointRec {
  readonly key: string
  readonly kind: 'WorkloadEndpoint' | 'HostEndpoint'
  /** Remote cluster, undefined when local. */
  readonly cluster: string | undefined
  /** A workload endpoint of this node (it gets chains and a route). */
  readonly local: boolean
  /** The interface of a local workload or a host endpoint; undefined for other workloads. */
  readonly iface: string | undefined
  /**
   * Addresses in `ipset add` form (no /32 or /128): the address itself when there is one (the
   * common case: no array per endpoint), else the list. Read it with {@link addrsOf}.
   */
  readonly addr: string | readonly string[]
  readonly ports: readonly EndpointPort[]
  readonly profiles: readonly string[]
  readonly labels: Readonly<Record<string, string>>
}

/** A network set as the calc keeps it. */
export interface NetSetRec {
  readonly key: string
  readonly nets: readonly string[]
}

/** A tier. */
export interface TierRec {
  readonly order: number | undefined
  readonly defaultAction: 'Deny' | 'Pass'
}

interface SetState {
  readonly def: SetDef
  refs: number
  readonly members: { readonly 4: Map<string, number>; readonly 6: Map<string, number> }
}

/** The addresses of an endpoint record as a list. */
export const addrsOf = (ep: Pick<EndpointRec, 'addr'>): readonly string[] =>
  typeof ep.addr === 'string' ? [ep.addr] : ep.addr

/** A record's `addr` for `addrs`: the one address itself, or the list. */
export const packAddrs = (addrs: readonly string[]): string | readonly string[] =>
  addrs.length === 1 ? addrs[0]! : addrs

/** `198.19.1.5/32` → `198.19.1.5`; other CIDRs unchanged. */
export const memberForm = (cidr: string): string => cidr.replace(/\/(32|128)$/, '')

/** The state and membership of the calc. */
export class PolicyStore {
  readonly endpoints = new Map<string, EndpointRec>()
  readonly netSets = new Map<string, NetSetRec>()
  readonly policies = new Map<string, PreparedPolicy>()
  /** Local profiles with rules, by profile name. */
  readonly profiles = new Map<string, PreparedPolicy>()
  readonly tiers = new Map<string, TierRec>()
  readonly problems = new Map<string, string>()
  readonly #sets = new Map<string, SetState>()
  readonly #index: LabelIndex
  /** Kernel set names whose deltas are reported (those in the last desired state handed out). */
  handedOut: ReadonlySet<string> = new Set()
  /** Pending member deltas by kernel set name. */
  readonly deltas = new Map<string, { add: Set<string>; del: Set<string> }>()
  /** Set ids whose members changed since the last desired state. */
  readonly dirtySets = new Set<string>()

  constructor() {
    this.#index = new LabelIndex({
      onMatchStarted: (sid, item) => this.#contribute(sid, item, +1),
      onMatchStopped: (sid, item) => this.#contribute(sid, item, -1),
    })
  }

  /** Effective labels of an endpoint or network set (own + inherited), or undefined. */
  labelsOf(key: string): ReadonlyMap<string, string> | undefined {
    return this.#index.itemLabels(key)
  }

  /** Current members of set `id` in `family`, or undefined when the set is not active. */
  members(id: string, family: IpFamily): ReadonlyMap<string, number> | undefined {
    return this.#sets.get(id)?.members[family]
  }

  /** The definition of an active set. */
  setDef(id: string): SetDef | undefined {
    return this.#sets.get(id)?.def
  }

  /** Records a profile's labels (parents of the index). */
  updateProfileLabels(name: string, labels: Readonly<Record<string, string>> | undefined): void {
    if (labels === undefined) this.#index.deleteParent(name)
    else this.#index.updateParent(name, labels)
  }

  /** Adds, changes or (rec undefined) removes an endpoint. */
  updateEndpoint(key: string, rec: EndpointRec | undefined): void {
    const old = this.endpoints.get(key)
    this.#updateItem(
      key,
      old !== undefined && rec !== undefined && sameContribution(old, rec),
      () => {
        if (rec === undefined) this.endpoints.delete(key)
        else this.endpoints.set(key, rec)
      },
      rec && { labels: rec.labels, parents: rec.profiles }
    )
  }

  /** Adds, changes or removes a network set (namespaced ones inherit `kns.<ns>`). */
  updateNetSet(
    key: string,
    rec: NetSetRec | undefined,
    labels: Readonly<Record<string, string>>,
    parents: readonly string[]
  ): void {
    const old = this.netSets.get(key)
    const same = old !== undefined && rec !== undefined && old.nets.join() === rec.nets.join()
    this.#updateItem(
      key,
      same,
      () => {
        if (rec === undefined) this.netSets.delete(key)
        else this.netSets.set(key, rec)
      },
      rec && { labels, parents }
    )
  }

  #updateItem(
    key: string,
    sameAddresses: boolean,
    store: () => void,
    next: { labels: Readonly<Record<string, string>>; parents: readonly string[] } | undefined
  ): void {
    if (next === undefined) {
      this.#index.deleteItem(key)
      store()
      return
    }
    // Addresses changed: withdraw the old contribution first (match events read the record).
    if (!sameAddresses) this.#index.deleteItem(key)
    store()
    this.#index.updateItem(key, next.labels, next.parents)
  }

  /** Takes references on a policy's sets (adding new ones to the index). */
  acquire(p: PreparedPolicy): void {
    for (const def of p.sets.values()) {
      const s = this.#sets.get(def.id)
      if (s !== undefined) {
        s.refs++
        continue
      }
      this.#sets.set(def.id, { def, refs: 1, members: { 4: new Map(), 6: new Map() } })
      this.#index.updateSelector(def.id, def.selector)
    }
  }

  /** Drops references on a policy's sets (removing unused ones from the index). */
  release(p: PreparedPolicy): void {
    for (const id of p.sets.keys()) {
      const s = this.#sets.get(id)
      if (s === undefined) continue
      if (--s.refs > 0) continue
      this.#index.deleteSelector(id)
      this.#sets.delete(id)
    }
  }

  /** Records member deltas of a kernel set (only for sets handed out). */
  recordDelta(name: string, member: string, added: boolean): void {
    if (!this.handedOut.has(name)) return
    let d = this.deltas.get(name)
    if (d === undefined) {
      d = { add: new Set(), del: new Set() }
      this.deltas.set(name, d)
    }
    if (added) {
      if (!d.del.delete(member)) d.add.add(member)
    } else if (!d.add.delete(member)) d.del.add(member)
  }

  /**
   * Frees the index's item sets of labels no ipset selector is filed under (after a batch of
   * endpoints: a snapshot's adds materialise every label; see the selector's item-buckets.ts).
   */
  compactIndex(): void {
    this.#index.compact()
  }

  /** Takes and clears the pending deltas. */
  takeDeltas(): Map<string, IpsetMemberDelta> {
    const out = new Map<string, IpsetMemberDelta>()
    for (const [name, d] of this.deltas) {
      if (d.add.size + d.del.size > 0) out.set(name, { add: [...d.add], del: [...d.del] })
    }
    this.deltas.clear()
    return out
  }

  #contribute(sid: string, itemKey: string, sign: 1 | -1): void {
    const s = this.#sets.get(sid)
    if (s === undefined) return
    for (const m of this.#contribution(s.def, itemKey)) {
      const family = familyOf(m.split(',')[0] ?? m)
      const map = s.members[family]
      const n = (map.get(m) ?? 0) + sign
      if (n > 0) map.set(m, n)
      else map.delete(m)
      if ((sign === 1 && n === 1) || (sign === -1 && n === 0)) {
        this.dirtySets.add(sid)
        this.recordDelta(setName(sid, family), m, sign === 1)
      }
    }
  }

  #contribution(def: SetDef, itemKey: string): string[] {
    const ep = this.endpoints.get(itemKey)
    if (def.namedPort === undefined) {
      if (ep !== undefined) return [...addrsOf(ep)]
      return [...(this.netSets.get(itemKey)?.nets ?? [])]
    }
    if (ep === undefined) return []
    const np = def.namedPort
    const out: string[] = []
    for (const p of ep.ports) {
      if (p.name !== np.name || p.protocol.toLowerCase() !== np.proto) continue
      for (const a of addrsOf(ep)) out.push(`${a},${np.proto}:${String(p.port)}`)
    }
    return out
  }
}

function sameContribution(a: EndpointRec, b: EndpointRec): boolean {
  if (addrsOf(a).join() !== addrsOf(b).join()) return false
  if (a.ports.length !== b.ports.length) return false
  return a.ports.every((p, i) => {
    const q = b.ports[i]
    return q !== undefined && p.name === q.name && p.port === q.port && p.protocol === q.protocol
  })
}

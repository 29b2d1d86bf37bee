/**
 * The ipsets of the desired state: the static v4 sets (VTEP node IPs of every cluster, local
 * natOutgoing pools, every pool of every cluster, computed with the VXLAN calc's own VTEP and NAT
 * functions) and one set per family for every selector or named-port set the rendered chains use.
 * A membership-only change rebuilds just the changed sets. Pure.
 */
import { computeVtep, type VtepResult } from '../vtep-calc.js'
import { computeNatSets } from '../nat-calc.js'
import type { NodeInput, PoolInput } from '../types.js'
import type { IpFamily, IpsetSpec } from './contract.js'
import { ALL_IPAM_POOLS, ALL_VXLAN_NET, MASQ_IPAM_POOLS } from './render-chains.js'
import { setName } from './render-rule.js'
import { memberForm, type PolicyStore } from './store.js'

const FAMILIES: readonly IpFamily[] = [4, 6]

/**
 * The static v4 sets by name. `vtepOf` is the VTEP rule (default computeVtep; an owner passes its
 * VtepCalc's memoised form so a node change does not re-hash every node).
 */
export function staticSets(
  nodes: Iterable<NodeInput>,
  pools: Iterable<PoolInput>,
  vtepOf: (n: NodeInput) => VtepResult = computeVtep
): Map<string, ReadonlySet<string>> {
  const vteps = new Set<string>()
  for (const n of nodes) {
    const r = vtepOf(n)
    if ('vtep' in r) vteps.add(r.vtep.nodeIp)
  }
  const nat = computeNatSets(pools)
  return new Map<string, ReadonlySet<string>>([
    [ALL_VXLAN_NET, vteps],
    [MASQ_IPAM_POOLS, new Set([...nat.natPools].map((c) => memberForm(c)))],
    [ALL_IPAM_POOLS, new Set([...nat.allPools].map((c) => memberForm(c)))],
  ])
}

function putStatic(out: Map<string, IpsetSpec>, name: string, members: ReadonlySet<string>): void {
  out.set(name, { name, family: 4, type: 'hash:net', members })
}

function putSelectorSets(out: Map<string, IpsetSpec>, store: PolicyStore, id: string): void {
  const def = store.setDef(id)
  if (def === undefined) return
  for (const family of FAMILIES) {
    const name = setName(id, family)
    out.set(name, {
      name,
      family,
      type: def.namedPort === undefined ? 'hash:net' : 'hash:ip,port',
      members: new Set(store.members(id, family)?.keys() ?? []),
    })
  }
}

/** Every ipset: the static ones and both families of each used set. */
export function buildIpsets(
  store: PolicyStore,
  statics: ReadonlyMap<string, ReadonlySet<string>>,
  setIds: ReadonlySet<string>
): Map<string, IpsetSpec> {
  const out = new Map<string, IpsetSpec>()
  for (const [name, members] of statics) putStatic(out, name, members)
  for (const id of setIds) putSelectorSets(out, store, id)
  return out
}

/** A copy of `prev` with only the changed sets rebuilt (membership-only changes). */
export function refreshIpsets(
  store: PolicyStore,
  statics: ReadonlyMap<string, ReadonlySet<string>>,
  usedSetIds: ReadonlySet<string>,
  prev: ReadonlyMap<string, IpsetSpec>
): Map<string, IpsetSpec> {
  const out = new Map(prev)
  for (const [name, members] of statics) {
    if (prev.get(name)?.members !== members) putStatic(out, name, members)
  }
  for (const id of store.dirtySets) if (usedSetIds.has(id)) putSelectorSets(out, store, id)
  return out
}

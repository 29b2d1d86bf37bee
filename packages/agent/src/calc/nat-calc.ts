/**
 * NAT-outgoing sets (pure), computed in part 1 for the NAT manager of part 2. `allPools` lists
 * every IPv4 pool of every cluster (traffic TO them is never masqueraded, so pod-to-pod traffic
 * across the mesh keeps its source); `natPools` lists only LOCAL pools with `natOutgoing` (remote
 * pools are never NAT'ed here: their own cluster does that). LoadBalancer-only pools are left out
 * of both, as in Felix. Disabled pools still count (they only stop new allocations).
 */
import { formatCidr4, parseCidr4 } from './ip.js'
import { isLoadBalancerOnly } from './route-calc.js'
import type { NatSets, PoolInput } from './types.js'

/** Computes the two NAT-outgoing sets from every known pool. */
export function computeNatSets(pools: Iterable<PoolInput>): NatSets {
  const allPools = new Set<string>()
  const natPools = new Set<string>()
  for (const p of pools) {
    const cidr = parseCidr4(p.spec.cidr)
    if (cidr === undefined || isLoadBalancerOnly(p)) continue
    const text = formatCidr4(cidr)
    allPools.add(text)
    if (p.cluster === undefined && p.spec.natOutgoing) natPools.add(text)
  }
  return { allPools: new Set([...allPools].sort()), natPools: new Set([...natPools].sort()) }
}

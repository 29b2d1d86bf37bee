/**
 * Chains of one family, as Felix structures them (felix-dataplane.md §2.3, §2.4, §1.7):
 *
 *   filter INPUT   → cali-INPUT      VXLAN allow-list (v4), -i cali+ --goto cali-wl-to-host
 *   filter FORWARD → cali-FORWARD    pre-clear marks, -i cali+ → cali-from-wl-dispatch,
 *                                    -o cali+ → cali-to-wl-dispatch, accept on the Accept mark
 *   filter OUTPUT  → cali-OUTPUT     host → workload returns (Felix never polices it)
 *   cali-from-wl-dispatch / cali-to-wl-dispatch   -i/-o <iface> --goto cali-fw-/cali-tw-<iface>,
 *                                    then DROP "Unknown interface"
 *   cali-tw-/cali-fw-<iface>         conntrack, clear marks, (egress: VXLAN/IPIP drop), tiers, profiles
 *   cali-pi-/cali-po-<policy id>     rules; cali-pri-/cali-pro-<profile> profile rules
 *   nat POSTROUTING → cali-POSTROUTING → cali-nat-outgoing (v4): MASQUERADE masq-ipam-pools src
 *                                    unless the destination is in all-ipam-pools
 *
 * Only policy and profile chains some endpoint chain jumps to are emitted (Felix's refcounting).
 * Pure.
 */
import type { IpFamily } from './contract.js'
import { CHAIN_PREFIX, chainName, hex } from './names.js'
import type { ResolvedPolicyOptions } from './options.js'
import type { PreparedPolicy } from './prepare.js'
import { renderPolicyChain, type RuleRenderContext } from './render-rule.js'
import type { EndpointRec, TierRec } from './store.js'

/** One tier's policies that apply to an endpoint in one direction, in order. */
export interface AppliedTier {
  readonly name: string
  readonly defaultAction: 'Deny' | 'Pass'
  readonly policies: readonly PreparedPolicy[]
}

/** Tier sort key: order (none last), then name (Felix `policy_sorter.go`). */
export function tierSort(
  tiers: ReadonlyMap<string, TierRec>,
  defaultTierOrder: number
): (a: string, b: string) => number {
  const orderOf = (t: string): number =>
    tiers.get(t)?.order ?? (t === 'default' ? defaultTierOrder : Number.POSITIVE_INFINITY)
  return (a, b) => {
    const d = orderOf(a) - orderOf(b)
    if (d !== 0 && !Number.isNaN(d)) return d < 0 ? -1 : 1
    return a < b ? -1 : a > b ? 1 : 0
  }
}

/** Policy sort: order (none = +Inf), then name, namespace, kind. */
export function comparePolicies(a: PreparedPolicy, b: PreparedPolicy): number {
  const oa = a.order ?? Number.POSITIVE_INFINITY
  const ob = b.order ?? Number.POSITIVE_INFINITY
  if (oa !== ob) return oa < ob ? -1 : 1
  for (const [x, y] of [
    [a.name, b.name],
    [a.namespace ?? '', b.namespace ?? ''],
    [a.kind, b.kind],
  ] as const) {
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** Groups the policies (already sorted by tier, then policy) that apply in `dir` to `labels`. */
export function appliedTiers(
  sorted: readonly PreparedPolicy[],
  tiers: ReadonlyMap<string, TierRec>,
  labels: ReadonlyMap<string, string>,
  dir: 'ingress' | 'egress'
): AppliedTier[] {
  const out: { name: string; defaultAction: 'Deny' | 'Pass'; policies: PreparedPolicy[] }[] = []
  for (const p of sorted) {
    if ((dir === 'ingress' ? p.ingress : p.egress) === undefined) continue
    if (p.selector === undefined || !p.selector.evaluate(labels)) continue
    let last = out[out.length - 1]
    if (last?.name !== p.tier) {
      last = {
        name: p.tier,
        defaultAction: tiers.get(p.tier)?.defaultAction ?? 'Deny',
        policies: [],
      }
      out.push(last)
    }
    last.policies.push(p)
  }
  return out
}

/** The rules of `cali-tw-<iface>` (ingress) or `cali-fw-<iface>` (egress). */
export function endpointChainRules(
  dir: 'ingress' | 'egress',
  tiers: readonly AppliedTier[],
  profiles: readonly string[],
  family: IpFamily,
  o: ResolvedPolicyOptions
): string[] {
  const { accept, pass } = o.marks
  const acc = `${hex(accept)}/${hex(accept)}`
  const rules = [
    '-m conntrack --ctstate RELATED,ESTABLISHED --jump ACCEPT',
    '-m conntrack --ctstate INVALID --jump DROP',
    `--jump MARK --set-mark 0/${hex(accept | pass)}`,
  ]
  if (dir === 'egress' && family === 4) {
    rules.push(
      `-m comment --comment "Drop VXLAN encapped packets originating in workloads" -p 17 -m multiport --destination-ports ${String(o.vxlanPort)} --jump DROP`,
      '-m comment --comment "Drop IPinIP encapped packets originating in workloads" -p 4 --jump DROP'
    )
  }
  const polPrefix = dir === 'ingress' ? CHAIN_PREFIX.policyIn : CHAIN_PREFIX.policyOut
  for (const t of tiers) {
    rules.push(
      `-m comment --comment "Start of tier ${t.name}" --jump MARK --set-mark 0/${hex(pass)}`
    )
    for (const p of t.policies) {
      rules.push(`-m mark --mark 0/${hex(pass)} --jump ${chainName(polPrefix, p.id)}`)
      rules.push(
        `-m comment --comment "Return if policy accepted" -m mark --mark ${acc} --jump RETURN`
      )
    }
    if (t.defaultAction !== 'Pass') {
      rules.push(
        `-m comment --comment "End of tier ${t.name}. Drop if no policies passed packet" -m mark --mark 0/${hex(pass)} --jump DROP`
      )
    }
  }
  const proPrefix = dir === 'ingress' ? CHAIN_PREFIX.profileIn : CHAIN_PREFIX.profileOut
  for (const name of profiles) {
    rules.push(`--jump ${chainName(proPrefix, name)}`)
    rules.push(
      `-m comment --comment "Return if profile accepted" -m mark --mark ${acc} --jump RETURN`
    )
  }
  rules.push('-m comment --comment "Drop if no profiles matched" --jump DROP')
  return rules
}

/** A local endpoint with what applies to it. */
export interface LocalEndpointPlan {
  readonly ep: EndpointRec
  readonly iface: string
  readonly ingress: readonly AppliedTier[]
  readonly egress: readonly AppliedTier[]
  /** Profiles known locally, in the endpoint's order. */
  readonly profiles: readonly string[]
}

/** The static chains of one family (filter and nat), given the local endpoints. */
export function staticChains(
  family: IpFamily,
  plans: readonly LocalEndpointPlan[],
  natOutgoing: boolean,
  o: ResolvedPolicyOptions
): { filter: Map<string, string[]>; nat: Map<string, string[]> } {
  const wl = `${o.workloadInterfacePrefix}+`
  const { accept, pass, drop, scratch0, scratch1 } = o.marks
  const filter = new Map<string, string[]>()
  const input: string[] = []
  if (family === 4) {
    const vx = `-p 17 -m multiport --destination-ports ${String(o.vxlanPort)}`
    input.push(
      `-m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" ${vx} -m set --match-set ${ALL_VXLAN_NET} src -m addrtype --dst-type LOCAL --jump ACCEPT`,
      `-m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" ${vx} -m addrtype --dst-type LOCAL --jump DROP`
    )
  }
  input.push(`-i ${wl} --goto cali-wl-to-host`)
  filter.set('cali-INPUT', input)
  filter.set('cali-FORWARD', [
    `-m comment --comment "Pre-clear marks" --jump MARK --set-mark 0/${hex(pass | drop | scratch0 | scratch1)}`,
    `-i ${wl} --jump cali-from-wl-dispatch`,
    `-o ${wl} --jump cali-to-wl-dispatch`,
    `-m comment --comment "Policy explicitly accepted packet." -m mark --mark ${hex(accept)}/${hex(accept)} --jump ACCEPT`,
  ])
  filter.set('cali-OUTPUT', [
    `-m comment --comment "Host to workload traffic" -o ${wl} --jump RETURN`,
  ])
  filter.set('cali-wl-to-host', [
    '--jump cali-from-wl-dispatch',
    `-m comment --comment "Configured DefaultEndpointToHostAction" --jump ${o.defaultEndpointToHostAction}`,
  ])
  const sorted = [...plans].sort((a, b) => (a.iface < b.iface ? -1 : a.iface > b.iface ? 1 : 0))
  const unknown = '-m comment --comment "Unknown interface" --jump DROP'
  filter.set('cali-from-wl-dispatch', [
    ...sorted.map((p) => `-i ${p.iface} --goto ${chainName(CHAIN_PREFIX.fromWorkload, p.iface)}`),
    unknown,
  ])
  filter.set('cali-to-wl-dispatch', [
    ...sorted.map((p) => `-o ${p.iface} --goto ${chainName(CHAIN_PREFIX.toWorkload, p.iface)}`),
    unknown,
  ])
  const nat = new Map<string, string[]>()
  if (family === 4) {
    nat.set('cali-POSTROUTING', ['--jump cali-nat-outgoing'])
    nat.set(
      'cali-nat-outgoing',
      natOutgoing
        ? [
            `-m set --match-set ${MASQ_IPAM_POOLS} src -m set ! --match-set ${ALL_IPAM_POOLS} dst --jump MASQUERADE`,
          ]
        : []
    )
  }
  return { filter, nat }
}

/** Policy and profile chains referenced by the plans, with their rules. */
export function objectChains(
  plans: readonly LocalEndpointPlan[],
  profiles: ReadonlyMap<string, PreparedPolicy>,
  ctx: RuleRenderContext
): { chains: Map<string, string[]>; used: Set<PreparedPolicy> } {
  const chains = new Map<string, string[]>()
  const used = new Set<PreparedPolicy>()
  const add = (prefix: string, p: PreparedPolicy, dir: 'ingress' | 'egress'): void => {
    const name = chainName(prefix, p.id)
    if (chains.has(name)) return
    chains.set(name, renderPolicyChain(p, dir, ctx))
    used.add(p)
  }
  for (const plan of plans) {
    for (const t of plan.ingress)
      for (const p of t.policies) add(CHAIN_PREFIX.policyIn, p, 'ingress')
    for (const t of plan.egress)
      for (const p of t.policies) add(CHAIN_PREFIX.policyOut, p, 'egress')
    for (const name of plan.profiles) {
      const p = profiles.get(name)
      if (p === undefined) continue
      add(CHAIN_PREFIX.profileIn, p, 'ingress')
      add(CHAIN_PREFIX.profileOut, p, 'egress')
    }
  }
  return { chains, used }
}

/** Node IPs of every known VTEP, local and remote (v4). */
export const ALL_VXLAN_NET = 'cali40all-vxlan-net'
/** Local pools with natOutgoing (v4). */
export const MASQ_IPAM_POOLS = 'cali40masq-ipam-pools'
/** Every pool of every cluster: never masqueraded towards (v4). */
export const ALL_IPAM_POOLS = 'cali40all-ipam-pools'

/**
 * Pure ipset planning: parse `ipset save`, compare owned sets (names `cali4*`/`cali6*`) with the
 * desired ones, and render `ipset restore` lines (felix-dataplane.md §2.7, deps.md §4).
 *
 * Two phases, because an ipset must exist before a rule uses it and can only be destroyed after no
 * rule uses it any more:
 * - `before` (runs before iptables): create missing sets, fill them, apply member deltas, and
 *   replace a set whose type/family/size changed by filling a temporary `cali4t<n>` set and
 *   `swap`ping it in (a referenced set cannot be destroyed);
 * - `after` (runs after iptables): destroy owned sets that are no longer desired.
 */
import type { IpFamily, IpsetSpec } from '../../calc/policy/contract.js'

/** `maxelem` of every set we create (Felix's `MaxIpsetSize`). */
export const IPSET_MAX_ELEMENTS = 1048576

/** An owned set as the kernel holds it. */
export interface IpsetState {
  readonly name: string
  readonly type: string
  readonly family: IpFamily
  readonly maxelem: number
  readonly members: Set<string>
}

/** True for names we own. */
export const isOwnedIpset = (name: string): boolean =>
  name.startsWith('cali4') || name.startsWith('cali6')

const familyOf = (f: string): IpFamily => (f === 'inet6' ? 6 : 4)

/** The canonical form of a member (what `ipset save` prints): host prefixes dropped, lower case. */
export function canonicalMember(m: string, family: IpFamily): string {
  const lower = m.trim().toLowerCase()
  const host = family === 4 ? '/32' : '/128'
  return lower.endsWith(host) ? lower.slice(0, -host.length) : lower
}

const MEMBER_RE = /^[0-9a-f.:/]+(,(tcp|udp|sctp|udplite|icmp|icmpv6):[0-9a-z-]+)?$/
const NAME_RE = /^cali[46][A-Za-z0-9_:.+=/-]{1,26}$/

/** Why a member cannot be written (it would break or inject into the restore stream). */
export function memberProblem(m: string): string | undefined {
  return MEMBER_RE.test(m.trim().toLowerCase())
    ? undefined
    : `invalid ipset member ${JSON.stringify(m)}`
}

/** Why a desired set cannot be written; undefined when it is fine. */
export function ipsetProblem(s: IpsetSpec): string | undefined {
  if (!NAME_RE.test(s.name)) return 'ipset name must be cali4…/cali6…, at most 31 characters'
  if (!s.name.startsWith(`cali${s.family}`)) return 'ipset name does not match its family'
  return undefined
}

/** Parses `ipset save` output, keeping owned sets only. */
export function parseIpsetSave(text: string): Map<string, IpsetState> {
  const sets = new Map<string, IpsetState>()
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f[0] === 'create' && f.length >= 3 && isOwnedIpset(f[1] as string)) {
      const opt = (k: string): string | undefined => {
        const i = f.indexOf(k)
        return i < 0 ? undefined : f[i + 1]
      }
      sets.set(f[1] as string, {
        name: f[1] as string,
        type: f[2] as string,
        family: familyOf(opt('family') ?? 'inet'),
        maxelem: Number(opt('maxelem') ?? 65536),
        members: new Set(),
      })
    } else if (f[0] === 'add' && f.length >= 3) {
      const s = sets.get(f[1] as string)
      if (s !== undefined) s.members.add(canonicalMember(f[2] as string, s.family))
    }
  }
  return sets
}

/** Restore lines of one plan. */
export interface IpsetPlan {
  /** Before iptables: creates, fills, deltas, swaps. */
  readonly before: readonly string[]
  /** After iptables: destroys. */
  readonly after: readonly string[]
  /** Sets (re)created or swapped. */
  readonly created: readonly string[]
  /** Sets destroyed. */
  readonly destroyed: readonly string[]
  /** Member lines (add/del) issued. */
  readonly memberChanges: number
  /** Desired sets or members that were skipped, with the reason. */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[]
}

const createLine = (name: string, type: string, family: IpFamily): string =>
  `create ${name} ${type} family ${family === 4 ? 'inet' : 'inet6'} maxelem ${IPSET_MAX_ELEMENTS}`

/** The desired members of a set, canonical and valid (invalid ones are reported). */
export function desiredMembers(
  s: IpsetSpec,
  skipped: { name: string; reason: string }[]
): Set<string> {
  const out = new Set<string>()
  for (const m of s.members) {
    const p = memberProblem(m)
    if (p === undefined) out.add(canonicalMember(m, s.family))
    else skipped.push({ name: s.name, reason: p })
  }
  return out
}

/** Plans every owned set: desired (with canonical members) vs actual. */
export function planIpsets(
  desired: ReadonlyMap<string, IpsetSpec>,
  actual: ReadonlyMap<string, IpsetState>
): IpsetPlan {
  const before: string[] = []
  const after: string[] = []
  const created: string[] = []
  const destroyed: string[] = []
  const skipped: { name: string; reason: string }[] = []
  let memberChanges = 0
  let tmp = 0
  const tempName = (family: IpFamily): string => {
    let n: string
    do n = `cali${family}t${tmp++}`
    while (actual.has(n) || desired.has(n))
    return n
  }
  const keep = new Set<string>()
  for (const s of desired.values()) {
    const problem = ipsetProblem(s)
    if (problem !== undefined) {
      skipped.push({ name: s.name, reason: problem })
      continue
    }
    keep.add(s.name)
    const members = desiredMembers(s, skipped)
    const have = actual.get(s.name)
    if (have === undefined) {
      before.push(createLine(s.name, s.type, s.family))
      for (const m of members) before.push(`add ${s.name} ${m}`)
      memberChanges += members.size
      created.push(s.name)
      continue
    }
    if (have.type !== s.type || have.family !== s.family || have.maxelem !== IPSET_MAX_ELEMENTS) {
      if (have.family !== s.family || have.type.includes(',') !== s.type.includes(',')) {
        // The kernel cannot swap these (different family or dimension): recreate in place.
        before.push(`destroy ${s.name}`, createLine(s.name, s.type, s.family))
        for (const m of members) before.push(`add ${s.name} ${m}`)
        memberChanges += members.size
        created.push(s.name)
        continue
      }
      const t = tempName(s.family)
      before.push(createLine(t, s.type, s.family))
      for (const m of members) before.push(`add ${t} ${m}`)
      before.push(`swap ${s.name} ${t}`, `destroy ${t}`)
      memberChanges += members.size
      created.push(s.name)
      continue
    }
    for (const m of have.members)
      if (!members.has(m)) {
        before.push(`del ${s.name} ${m} -exist`)
        memberChanges++
      }
    for (const m of members)
      if (!have.members.has(m)) {
        before.push(`add ${s.name} ${m} -exist`)
        memberChanges++
      }
  }
  for (const name of actual.keys()) {
    if (keep.has(name) || desired.has(name)) continue
    after.push(`destroy ${name}`)
    destroyed.push(name)
  }
  return { before, after, created, destroyed, memberChanges, skipped }
}

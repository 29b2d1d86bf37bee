/**
 * `cattail policy trace`: the verdict for one packet between two endpoints, evaluated over the
 * calc's own state with the same pieces the renderer uses (the prepared rules, the family filter
 * of render-rule.ts, the tier and policy order and per-endpoint policy choice of
 * render-chains.ts, and the ipset members the LabelIndex keeps).
 *
 * Walk, per side (egress of `from`, ingress of `to`), only for endpoints of the local cluster
 * (a remote cluster enforces its own policy):
 *   tiers in order → policies in order → first rule that matches:
 *     Allow → allowed here; Deny → denied here; Pass → next tier; Log → keep going
 *   no rule matched in a tier: end-of-tier drop (unless defaultAction Pass)
 *   then profiles in order (Allow/Deny as above); nothing matched → "no profile matched" drop.
 * The packet is allowed when every evaluated side allows it. Pure.
 */
import type { IpFamily } from './contract.js'
import type { PreparedEntity, PreparedPolicy, PreparedRule } from './prepare.js'
import { PrepareError, protocolText } from './prepare.js'
import { TraceError } from './errors.js'
import { PolicyCalcImpl } from './policy-calc.js'
import type { KVUpdate } from '@cattail/model'
import { appliedTiers } from './render-chains.js'
import { familyOf, ruleAppliesTo } from './render-rule.js'
import { addrsOf, type EndpointRec } from './store.js'

/** A packet to trace. */
export interface TraceQuery {
  /** Endpoint key (`WorkloadEndpoint/ns/name`, `b/WorkloadEndpoint/ns/name`) or IP address. */
  readonly from: string
  readonly to: string
  /** `tcp`, `udp`, `icmp`, a number… */
  readonly protocol: string
  /** Destination port (TCP, UDP, SCTP). */
  readonly port?: number
  /** Source port, when known. */
  readonly srcPort?: number
}

/** Who decided on one side. */
export interface TraceSide {
  /** False when the endpoint is remote or not an endpoint: its own cluster decides. */
  readonly evaluated: boolean
  readonly verdict: 'allow' | 'deny'
  readonly tier?: string
  /** Policy id as in chain names (`np/ns/name`, `gnp/name`, `knp/ns/name`). */
  readonly policy?: string
  /** The policy or profile's resource key. */
  readonly key?: string
  readonly ruleIndex?: number
  readonly action?: PreparedRule['action']
  readonly profile?: string
  /** The default that decided: `end of tier <t>`, `no profile matched`, `not evaluated`. */
  readonly default?: string
  /** Policies that passed or logged on the way, in order. */
  readonly trail: readonly string[]
}

/** An endpoint as the trace resolved it. */
export interface TraceEndpoint {
  readonly input: string
  readonly key?: string
  readonly ip: string
  readonly cluster?: string
}

/** The result of a trace. */
export interface TraceResult {
  readonly verdict: 'allow' | 'deny'
  readonly from: TraceEndpoint
  readonly to: TraceEndpoint
  readonly egress: TraceSide
  readonly ingress: TraceSide
  /** Resources the calc rejected (`<key>: <reason>`): they take no part in the verdict. */
  readonly problems: readonly string[]
}

export { TraceError }

interface Packet {
  readonly family: IpFamily
  readonly src: string
  readonly dst: string
  readonly proto: string
  readonly srcPort: number | undefined
  readonly dstPort: number | undefined
}

const PROTO_NUMBERS: Readonly<Record<string, string>> = {
  tcp: '6',
  udp: '17',
  icmp: '1',
  'ipv6-icmp': '58',
  sctp: '132',
  udplite: '136',
}
const protoNumber = (p: string): string => PROTO_NUMBERS[p] ?? p

// ---- addresses ----

function ipToBigInt(ip: string): bigint | undefined {
  if (!ip.includes(':')) {
    const parts = ip.split('.')
    if (parts.length !== 4) return undefined
    let n = 0n
    for (const p of parts) {
      const v = Number(p)
      if (!/^[0-9]{1,3}$/.test(p) || v > 255) return undefined
      n = (n << 8n) | BigInt(v)
    }
    return n
  }
  const [head = '', tail] = ip.split('::')
  const h = head === '' ? [] : head.split(':')
  const t = tail === undefined || tail === '' ? [] : tail.split(':')
  const fill = tail === undefined ? 0 : 8 - h.length - t.length
  if (fill < 0) return undefined // more than 8 groups around '::'
  const groups = [...h, ...Array<string>(fill).fill('0'), ...t]
  if (groups.length !== 8) return undefined
  let n = 0n
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined
    n = (n << 16n) | BigInt(parseInt(g, 16))
  }
  return n
}

/** True when `ip` is inside `cidr` (or equal to it when it has no prefix). */
export function cidrHasIp(cidr: string, ip: string): boolean {
  if (familyOf(cidr) !== familyOf(ip)) return false
  const [addr = '', lenText] = cidr.split('/')
  const bits = familyOf(ip) === 4 ? 32 : 128
  const len = lenText === undefined ? bits : Number(lenText)
  if (!Number.isInteger(len) || len < 0 || len > bits || lenText?.trim() === '') return false
  const a = ipToBigInt(addr)
  const b = ipToBigInt(ip)
  if (a === undefined || b === undefined) return false
  const shift = BigInt(bits - len)
  return a >> shift === b >> shift
}

// ---- rule matching ----

function inSet(
  calc: PolicyCalcImpl,
  id: string,
  family: IpFamily,
  member: string,
  ip: string
): boolean {
  const m = calc.store.members(id, family)
  if (m === undefined) return false
  if (m.has(member)) return true
  if (member !== ip) return false
  for (const k of m.keys()) if (k.includes('/') && cidrHasIp(k, ip)) return true
  return false
}

function portIn(list: readonly string[], port: number): boolean {
  return list.some((p) => {
    const [lo = '', hi] = p.split(':')
    return port >= Number(lo) && port <= Number(hi ?? lo)
  })
}

function sideMatches(
  calc: PolicyCalcImpl,
  e: PreparedEntity,
  ip: string,
  port: number | undefined,
  pkt: Packet
): boolean {
  const f = pkt.family
  const nets = e.nets.filter((n) => familyOf(n) === f)
  if (nets.length > 0 && !nets.some((n) => cidrHasIp(n, ip))) return false
  if (e.notNets.some((n) => familyOf(n) === f && cidrHasIp(n, ip))) return false
  if (e.sel !== undefined && !inSet(calc, e.sel, f, ip, ip)) return false
  if (e.notSel !== undefined && inSet(calc, e.notSel, f, ip, ip)) return false
  const namedMember = (): string => {
    const proto = pkt.proto === '6' ? 'tcp' : pkt.proto === '17' ? 'udp' : 'sctp'
    return `${ip},${proto}:${String(port)}`
  }
  if (e.ports.length + e.namedPorts.length > 0) {
    if (port === undefined) return false
    const numeric = portIn(e.ports, port)
    const named = e.namedPorts.some((id) => inSet(calc, id, f, namedMember(), ip))
    if (!numeric && !named) return false
  }
  if (port !== undefined) {
    if (portIn(e.notPorts, port)) return false
    if (e.notNamedPorts.some((id) => inSet(calc, id, f, namedMember(), ip))) return false
  }
  return true
}

/** True when `r` matches the packet (the same family filter as the renderer). */
function ruleMatches(calc: PolicyCalcImpl, r: PreparedRule, pkt: Packet): boolean {
  if (!ruleAppliesTo(r, pkt.family)) return false
  if (r.protocol !== undefined && protoNumber(r.protocol) !== pkt.proto) return false
  if (r.notProtocol !== undefined && protoNumber(r.notProtocol) === pkt.proto) return false
  if (r.icmp?.type !== undefined) return false // the trace carries no ICMP type
  if (!sideMatches(calc, r.src, pkt.src, pkt.srcPort, pkt)) return false
  return sideMatches(calc, r.dst, pkt.dst, pkt.dstPort, pkt)
}

type RuleOutcome = { rule: PreparedRule } | undefined

function firstDecidingRule(
  calc: PolicyCalcImpl,
  rules: readonly PreparedRule[],
  pkt: Packet,
  trail: string[],
  name: string
): RuleOutcome {
  for (const r of rules) {
    if (!ruleMatches(calc, r, pkt)) continue
    if (r.action === 'Log') {
      trail.push(`${name} rule ${String(r.index)} Log`)
      continue
    }
    return { rule: r }
  }
  return undefined
}

function evaluateSide(
  calc: PolicyCalcImpl,
  ep: EndpointRec,
  dir: 'ingress' | 'egress',
  pkt: Packet
): TraceSide {
  const labels = calc.store.labelsOf(ep.key) ?? new Map<string, string>()
  const trail: string[] = []
  const tiers = appliedTiers(calc.sortedPolicies(), calc.store.tiers, labels, dir)
  const rulesOf = (p: PreparedPolicy): readonly PreparedRule[] =>
    (dir === 'ingress' ? p.ingress : p.egress) ?? []
  for (const t of tiers) {
    let passed = false
    for (const p of t.policies) {
      const out = firstDecidingRule(calc, rulesOf(p), pkt, trail, p.id)
      if (out === undefined) continue
      const at = { tier: t.name, policy: p.id, key: p.key, ruleIndex: out.rule.index }
      if (out.rule.action === 'Pass') {
        trail.push(`${p.id} rule ${String(out.rule.index)} Pass`)
        passed = true
        break
      }
      const verdict = out.rule.action === 'Allow' ? 'allow' : 'deny'
      return { evaluated: true, verdict, ...at, action: out.rule.action, trail }
    }
    if (!passed && t.defaultAction !== 'Pass') {
      return {
        evaluated: true,
        verdict: 'deny',
        tier: t.name,
        default: `end of tier ${t.name}`,
        trail,
      }
    }
  }
  for (const name of ep.profiles) {
    const prof = calc.store.profiles.get(name)
    if (prof === undefined) continue
    const out = firstDecidingRule(calc, rulesOf(prof), pkt, trail, name)
    if (out === undefined || out.rule.action === 'Pass') continue
    return {
      evaluated: true,
      verdict: out.rule.action === 'Allow' ? 'allow' : 'deny',
      profile: name,
      key: prof.key,
      ruleIndex: out.rule.index,
      action: out.rule.action,
      trail,
    }
  }
  return { evaluated: true, verdict: 'deny', default: 'no profile matched', trail }
}

function resolve(
  calc: PolicyCalcImpl,
  input: string,
  family: IpFamily | undefined
): { ep?: EndpointRec; ip: string } {
  const byKey = calc.store.endpoints.get(input)
  if (byKey !== undefined) {
    const ip = addrsOf(byKey).find((a) => family === undefined || familyOf(a) === family)
    if (ip === undefined)
      throw new TraceError(
        `${input} has no address${family === undefined ? '' : ` of IPv${String(family)}`}`
      )
    return { ep: byKey, ip: ip.replace(/\/.*$/, '') }
  }
  if (ipToBigInt(input) === undefined)
    throw new TraceError(`${input} is neither a known endpoint key nor an IP address`)
  for (const ep of calc.store.endpoints.values()) {
    if (addrsOf(ep).includes(input)) return { ep, ip: input }
  }
  return { ip: input }
}

function protocolOf(p: string): string {
  try {
    return protocolText(p, '--protocol')
  } catch (err) {
    if (err instanceof PrepareError) throw new TraceError(err.message)
    throw err
  }
}

const notEvaluated: TraceSide = {
  evaluated: false,
  verdict: 'allow',
  default: 'not evaluated',
  trail: [],
}

/**
 * Traces one packet through the policy of the local cluster.
 * @throws {TraceError} for an unknown endpoint key or unusable address.
 */
export function tracePolicy(calc: PolicyCalcImpl, q: TraceQuery): TraceResult {
  const from0 = resolve(calc, q.from, undefined)
  const to = resolve(calc, q.to, familyOf(from0.ip))
  const from = resolve(calc, q.from, familyOf(to.ip))
  const pkt: Packet = {
    family: familyOf(to.ip),
    src: from.ip,
    dst: to.ip,
    proto: protoNumber(protocolOf(q.protocol)),
    srcPort: q.srcPort,
    dstPort: q.port,
  }
  const isLocal = (ep: EndpointRec | undefined): ep is EndpointRec =>
    ep !== undefined && ep.cluster === undefined && ep.kind === 'WorkloadEndpoint'
  const egress = isLocal(from.ep) ? evaluateSide(calc, from.ep, 'egress', pkt) : notEvaluated
  const ingress = isLocal(to.ep) ? evaluateSide(calc, to.ep, 'ingress', pkt) : notEvaluated
  const describe = (input: string, r: { ep?: EndpointRec; ip: string }): TraceEndpoint => ({
    input,
    ip: r.ip,
    ...(r.ep !== undefined && { key: r.ep.key }),
    ...(r.ep?.cluster !== undefined && { cluster: r.ep.cluster }),
  })
  return {
    verdict: egress.verdict === 'allow' && ingress.verdict === 'allow' ? 'allow' : 'deny',
    from: describe(q.from, from),
    to: describe(q.to, to),
    egress,
    ingress,
    problems: calc.problems().map((p) => `${p.key}: ${p.reason}`),
  }
}

/** Builds the calc over a snapshot (every KV of a cache) and traces `q` through it. */
export function traceSnapshot(updates: Iterable<KVUpdate>, q: TraceQuery): TraceResult {
  const calc = new PolicyCalcImpl({ nodeName: '' })
  for (const u of updates) calc.onUpdate(u)
  return tracePolicy(calc, q)
}

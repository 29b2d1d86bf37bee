/**
 * Policy and profile preparation: a v3 policy becomes a {@link PreparedPolicy} whose rules name
 * their ipsets by id, with rule selectors converted to v1 as Felix does (felix-dataplane.md §2.6,
 * libcalico-go `GetEntityRuleSelector`):
 *
 *   namespaceSelector  → pcns.-prefixed labels; `all()` → has(projectcalico.org/namespace),
 *                        `global()` → !has(projectcalico.org/namespace)
 *   none, namespaced   → projectcalico.org/namespace == '<ns>' (only when the entity selects)
 *   serviceAccounts    → pcsa.-prefixed selector; names → projectcalico.org/serviceaccount in {…}
 *   parts              → (<ns>) && (<sa>) && (<selector>); a notSelector is folded in as
 *                        (<pos>) && (!(<neg>)) when there is a positive part
 *
 * Everything a rule needs is checked here, so an invalid policy becomes one problem and is skipped
 * as a whole (its previous rendering stays, see policy-calc.ts). Pure.
 */
import { makeUniqueId, parseSelector, type Selector } from '@cattail/selector'
import {
  LABEL_NAMESPACE,
  LABEL_SERVICE_ACCOUNT,
  type EntityRule,
  type PolicyPort,
  type PolicyRule,
  type PolicySpec,
} from '@cattail/model'
import { policyId } from './names.js'
import { PolicyPrepareError as PrepareError } from './errors.js'

/** An ipset a rule uses: selector members, or (named port) members with a port. */
export interface SetDef {
  /** `s:<hash>` or `n:<hash>`; the kernel name is `cali40` / `cali60` + id, cut to 31. */
  readonly id: string
  readonly selector: Selector
  readonly namedPort?: { readonly proto: 'tcp' | 'udp' | 'sctp'; readonly name: string }
}

/** One side of a prepared rule. */
export interface PreparedEntity {
  readonly nets: readonly string[]
  readonly notNets: readonly string[]
  /** Selector set id (positive, notSelector folded in). */
  readonly sel?: string
  /** Selector set id of a lone notSelector. */
  readonly notSel?: string
  /** Numeric ports: `80` or `1000:2000`. */
  readonly ports: readonly string[]
  /** Named-port set ids. */
  readonly namedPorts: readonly string[]
  readonly notPorts: readonly string[]
  readonly notNamedPorts: readonly string[]
}

/** ICMP type and code. */
export interface IcmpMatch {
  readonly type?: number
  readonly code?: number
}

/** One rule ready to render and to evaluate. */
export interface PreparedRule {
  /** Index in the policy's ingress or egress list. */
  readonly index: number
  readonly action: PolicyRule['action']
  /** iptables protocol name (`tcp`, `icmp`, `ipv6-icmp`) or number text. */
  readonly protocol?: string
  readonly notProtocol?: string
  readonly ipVersion?: 4 | 6
  readonly icmp?: IcmpMatch
  readonly notICMP?: IcmpMatch
  readonly src: PreparedEntity
  readonly dst: PreparedEntity
}

/** A policy (or profile) ready to render. */
export interface PreparedPolicy {
  /** Canonical key of the resource. */
  readonly key: string
  /** Felix policy id (`np/ns/name`, `gnp/name`) or the profile name. */
  readonly id: string
  readonly kind: 'NetworkPolicy' | 'GlobalNetworkPolicy' | 'Profile'
  readonly name: string
  readonly namespace?: string
  readonly tier: string
  readonly order?: number
  /** The v1 main selector (local endpoints it applies to); undefined for profiles. */
  readonly selector?: Selector
  readonly ingress?: readonly PreparedRule[]
  readonly egress?: readonly PreparedRule[]
  /** Every ipset its rules use, by id. */
  readonly sets: ReadonlyMap<string, SetDef>
}

/** Thrown while preparing; the message is the problem's reason. */
export { PolicyPrepareError as PrepareError } from './errors.js'

function parse(text: string, what: string): Selector {
  try {
    return parseSelector(text)
  } catch (err) {
    throw new PrepareError(`${what}: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** v1 form of a namespaceSelector (pcns. prefix, all()/global() rewritten). */
export function namespaceSelectorV1(text: string, what: string): string {
  const s = parse(text, what)
  if (s.root.kind === 'all') return `has(${LABEL_NAMESPACE})`
  if (s.root.kind === 'global') return `!has(${LABEL_NAMESPACE})`
  return s.withLabelPrefix('pcns.').toString()
}

const quoteList = (names: readonly string[]): string =>
  names.map((n) => `'${n.replace(/'/g, '')}'`).join(', ')

/**
 * Felix's v1 selectors for one entity rule: `positive` (with a notSelector folded in when there is
 * a positive part) and `negative` (a lone notSelector).
 */
export function entitySelectorsV1(
  e: EntityRule | undefined,
  namespace: string | undefined,
  what: string
): { positive?: string; negative?: string } {
  if (e === undefined) return {}
  const parts: string[] = []
  const sa = e.serviceAccounts
  if (e.namespaceSelector !== undefined && e.namespaceSelector !== '') {
    parts.push(namespaceSelectorV1(e.namespaceSelector, `${what}.namespaceSelector`))
  } else if (
    namespace !== undefined &&
    (e.selector !== undefined || e.notSelector !== undefined || sa !== undefined)
  ) {
    parts.push(`${LABEL_NAMESPACE} == '${namespace}'`)
  }
  if (sa !== undefined) {
    if (sa.selector !== undefined && sa.selector !== '') {
      parts.push(
        parse(sa.selector, `${what}.serviceAccounts.selector`).withLabelPrefix('pcsa.').toString()
      )
    }
    if (sa.names !== undefined && sa.names.length > 0) {
      parts.push(`${LABEL_SERVICE_ACCOUNT} in { ${quoteList(sa.names)} }`)
    }
  }
  if (e.selector !== undefined) {
    parse(e.selector, `${what}.selector`)
    parts.push(e.selector === '' ? 'all()' : e.selector)
  }
  let positive = parts.length === 0 ? undefined : parts.map((p) => `(${p})`).join(' && ')
  let negative: string | undefined
  if (e.notSelector !== undefined && e.notSelector !== '') {
    parse(e.notSelector, `${what}.notSelector`)
    if (positive !== undefined) positive = `(${positive}) && (!(${e.notSelector}))`
    else negative = e.notSelector
  }
  return {
    ...(positive !== undefined && { positive }),
    ...(negative !== undefined && { negative }),
  }
}

const PROTOCOL_NAMES: Readonly<Record<string, string>> = {
  tcp: 'tcp',
  udp: 'udp',
  icmp: 'icmp',
  icmpv6: 'ipv6-icmp',
  sctp: 'sctp',
  udplite: 'udplite',
}

const PORT_PROTOCOLS: ReadonlySet<string> = new Set(['tcp', 'udp', 'sctp', '6', '17', '132'])

/** iptables text of a protocol (`TCP` → `tcp`, `ICMPv6` → `ipv6-icmp`, 17 → `17`). */
export function protocolText(p: string | number, what: string): string {
  if (typeof p === 'number') return String(p)
  if (/^[0-9]{1,3}$/.test(p) && Number(p) <= 255) return String(Number(p))
  const name = PROTOCOL_NAMES[p.toLowerCase()]
  if (name === undefined) throw new PrepareError(`${what}: unknown protocol ${JSON.stringify(p)}`)
  return name
}

const NAMED_PORT_PROTO: Readonly<Record<string, 'tcp' | 'udp' | 'sctp'>> = {
  tcp: 'tcp',
  '6': 'tcp',
  udp: 'udp',
  '17': 'udp',
  sctp: 'sctp',
  '132': 'sctp',
}

interface SetCollector {
  readonly sets: Map<string, SetDef>
}

function selectorSet(c: SetCollector, v1: string, what: string): SetDef {
  const selector = parse(v1, what)
  const id = selector.uniqueId()
  const def = c.sets.get(id) ?? { id, selector }
  c.sets.set(id, def)
  return def
}

function namedPortSet(
  c: SetCollector,
  base: Selector,
  proto: 'tcp' | 'udp' | 'sctp',
  name: string
): string {
  const id = makeUniqueId('n', `${base.uniqueId()},${proto},${name}`)
  if (!c.sets.has(id)) c.sets.set(id, { id, selector: base, namedPort: { proto, name } })
  return id
}

function splitPorts(ports: readonly PolicyPort[] | undefined): {
  numeric: string[]
  named: string[]
} {
  const numeric: string[] = []
  const named: string[] = []
  for (const p of ports ?? []) {
    if (typeof p === 'number') numeric.push(String(p))
    else if (/^[0-9]+(:[0-9]+)?$/.test(p)) numeric.push(p)
    else named.push(p)
  }
  return { numeric, named }
}

function prepareEntity(
  c: SetCollector,
  e: EntityRule | undefined,
  namespace: string | undefined,
  protocol: string | undefined,
  what: string
): PreparedEntity {
  const { positive, negative } = entitySelectorsV1(e, namespace, what)
  const sel = positive === undefined ? undefined : selectorSet(c, positive, what).id
  const notSel = negative === undefined ? undefined : selectorSet(c, negative, what).id
  const ports = splitPorts(e?.ports)
  const notPorts = splitPorts(e?.notPorts)
  const anyPorts =
    ports.numeric.length + ports.named.length + notPorts.numeric.length + notPorts.named.length
  if (anyPorts > 0 && (protocol === undefined || !PORT_PROTOCOLS.has(protocol))) {
    throw new PrepareError(`${what}: ports and notPorts need protocol TCP, UDP or SCTP`)
  }
  let namedPorts: string[] = []
  let notNamedPorts: string[] = []
  if (ports.named.length + notPorts.named.length > 0) {
    const proto = NAMED_PORT_PROTO[protocol ?? ''] ?? 'tcp'
    const baseText = positive ?? (negative === undefined ? 'all()' : `!(${negative})`)
    const base = parse(baseText, what)
    namedPorts = ports.named.map((n) => namedPortSet(c, base, proto, n))
    notNamedPorts = notPorts.named.map((n) => namedPortSet(c, base, proto, n))
  }
  return {
    nets: e?.nets ?? [],
    notNets: e?.notNets ?? [],
    ...(sel !== undefined && { sel }),
    ...(notSel !== undefined && { notSel }),
    ports: ports.numeric,
    namedPorts,
    notPorts: notPorts.numeric,
    notNamedPorts,
  }
}

function icmpAllowed(protocol: string | undefined): boolean {
  return protocol === 'icmp' || protocol === 'ipv6-icmp' || protocol === '1' || protocol === '58'
}

function prepareRule(
  c: SetCollector,
  r: PolicyRule,
  index: number,
  namespace: string | undefined,
  what: string
): PreparedRule {
  const protocol =
    r.protocol === undefined ? undefined : protocolText(r.protocol, `${what}.protocol`)
  const notProtocol =
    r.notProtocol === undefined ? undefined : protocolText(r.notProtocol, `${what}.notProtocol`)
  if ((r.icmp !== undefined || r.notICMP !== undefined) && !icmpAllowed(protocol)) {
    throw new PrepareError(`${what}: icmp and notICMP need protocol ICMP or ICMPv6`)
  }
  return {
    index,
    action: r.action,
    ...(protocol !== undefined && { protocol }),
    ...(notProtocol !== undefined && { notProtocol }),
    ...(r.ipVersion !== undefined && { ipVersion: r.ipVersion }),
    ...(r.icmp !== undefined && { icmp: r.icmp }),
    ...(r.notICMP !== undefined && { notICMP: r.notICMP }),
    src: prepareEntity(c, r.source, namespace, protocol, `${what}.source`),
    dst: prepareEntity(c, r.destination, namespace, protocol, `${what}.destination`),
  }
}

/** Calico's default `types`: Ingress, plus Egress with egress rules; Egress alone without ingress. */
export function policyTypes(spec: PolicySpec): { ingress: boolean; egress: boolean } {
  if (spec.types !== undefined && spec.types.length > 0) {
    return { ingress: spec.types.includes('Ingress'), egress: spec.types.includes('Egress') }
  }
  const e = (spec.egress ?? []).length > 0
  const i = (spec.ingress ?? []).length > 0
  if (!e) return { ingress: true, egress: false }
  if (!i) return { ingress: false, egress: true }
  return { ingress: true, egress: true }
}

/**
 * Prepares a NetworkPolicy or GlobalNetworkPolicy.
 * @throws {PrepareError} with the reason the policy cannot be used.
 */
export function preparePolicy(
  key: string,
  kind: 'NetworkPolicy' | 'GlobalNetworkPolicy',
  name: string,
  namespace: string | undefined,
  spec: PolicySpec
): PreparedPolicy {
  const ns = kind === 'NetworkPolicy' ? (namespace ?? 'default') : undefined
  const c: SetCollector = { sets: new Map() }
  const sel = spec.selector === undefined || spec.selector === '' ? 'all()' : spec.selector
  parse(sel, 'spec.selector')
  let mainText: string
  if (ns !== undefined) mainText = `(${sel}) && ${LABEL_NAMESPACE} == '${ns}'`
  else if (spec.namespaceSelector !== undefined && spec.namespaceSelector !== '') {
    mainText = `(${sel}) && (${namespaceSelectorV1(spec.namespaceSelector, 'spec.namespaceSelector')})`
  } else mainText = sel
  const types = policyTypes(spec)
  const ruleNs = ns
  const ingress = types.ingress
    ? (spec.ingress ?? []).map((r, i) => prepareRule(c, r, i, ruleNs, `spec.ingress[${i}]`))
    : undefined
  const egress = types.egress
    ? (spec.egress ?? []).map((r, i) => prepareRule(c, r, i, ruleNs, `spec.egress[${i}]`))
    : undefined
  return {
    key,
    id: policyId(kind, name, ns),
    kind,
    name,
    ...(ns !== undefined && { namespace: ns }),
    tier: spec.tier ?? 'default',
    ...(spec.order !== undefined && { order: spec.order }),
    selector: parse(mainText, 'spec.selector'),
    ...(ingress !== undefined && { ingress }),
    ...(egress !== undefined && { egress }),
    sets: c.sets,
  }
}

/** A profile's rules (local profiles; a `kns.*` profile without rules allows all, as Calico's). */
export function prepareProfile(
  key: string,
  name: string,
  ingressRules: readonly PolicyRule[] | undefined,
  egressRules: readonly PolicyRule[] | undefined
): PreparedPolicy {
  const c: SetCollector = { sets: new Map() }
  const noRules = ingressRules === undefined && egressRules === undefined
  const allowAll: readonly PolicyRule[] =
    noRules && name.startsWith('kns.') ? [{ action: 'Allow' }] : []
  const inRules = ingressRules ?? allowAll
  const outRules = egressRules ?? allowAll
  return {
    key,
    id: name,
    kind: 'Profile',
    name,
    tier: '',
    ingress: inRules.map((r, i) => prepareRule(c, r, i, undefined, `spec.ingress[${i}]`)),
    egress: outRules.map((r, i) => prepareRule(c, r, i, undefined, `spec.egress[${i}]`)),
    sets: c.sets,
  }
}

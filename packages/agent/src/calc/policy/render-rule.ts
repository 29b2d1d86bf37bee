/**
 * One prepared rule → iptables rule bodies, as Felix renders it (felix-dataplane.md §2.5):
 *
 *   family filter   ipVersion, CIDRs of the other family, ICMP of the other family, catch-all notNets
 *   main match      -p, --source, src sets, src ports, src named ports, --destination, dst sets,
 *                   dst ports, dst named ports, icmp; then the negated forms
 *   OR-blocks       several positive CIDRs, more than 15 port slots, or named ports mixed with
 *                   numbers: scratch-mark rules first, the main rule then needs scratch0
 *   action          Allow/Pass/Deny: set Accept/Pass/Drop mark, then RETURN/RETURN/DROP on the mark;
 *                   Log: LOG directly on the match
 *
 * Pure; {@link renderPolicyChain} strips trailing RETURNs and puts the chain comment first.
 */
import { mainIpsetName } from '@cattail/selector'
import type { IpFamily } from '../policy/contract.js'
import { hex } from './names.js'
import type { PolicyMarks } from './options.js'
import type { IcmpMatch, PreparedEntity, PreparedPolicy, PreparedRule } from './prepare.js'

/** What rendering a rule needs besides the rule. */
export interface RuleRenderContext {
  readonly family: IpFamily
  readonly marks: PolicyMarks
  readonly logPrefix: string
}

/** Family of an address or CIDR (IPv6 has a colon). */
export const familyOf = (cidr: string): IpFamily => (cidr.includes(':') ? 6 : 4)

/** Kernel ipset name of a set id in one family. */
export const setName = (id: string, family: IpFamily): string => mainIpsetName(id, family)

/** Multiport allows 15 slots; a range takes two (Felix `SplitPortList`). */
export function splitPortList(ports: readonly string[]): string[][] {
  const out: string[][] = []
  let cur: string[] = []
  let slots = 0
  for (const p of ports) {
    const cost = p.includes(':') ? 2 : 1
    if (slots + cost > 15) {
      out.push(cur)
      cur = []
      slots = 0
    }
    cur.push(p)
    slots += cost
  }
  if (cur.length > 0) out.push(cur)
  return out
}

const CATCH_ALL = new Set(['0.0.0.0/0', '::/0'])

/** Keeps the entity's CIDRs of `family`; undefined when a non-empty list was emptied. */
function filterNets(nets: readonly string[], family: IpFamily): string[] | undefined {
  const out = nets.filter((n) => familyOf(n) === family)
  return nets.length > 0 && out.length === 0 ? undefined : out
}

/** True when the rule applies to `family` (Felix `FilterRuleToIPVersion`). */
export function ruleAppliesTo(r: PreparedRule, family: IpFamily): boolean {
  if (r.ipVersion !== undefined && r.ipVersion !== family) return false
  if (family === 6 && (r.protocol === 'icmp' || r.protocol === '1')) return false
  if (family === 4 && (r.protocol === 'ipv6-icmp' || r.protocol === '58')) return false
  for (const e of [r.src, r.dst]) {
    if (filterNets(e.nets, family) === undefined) return false
    if (filterNets(e.notNets, family) === undefined) return false
    if (e.notNets.some((n) => CATCH_ALL.has(n))) return false
  }
  return true
}

const icmpText = (m: IcmpMatch): string =>
  m.code === undefined ? String(m.type) : `${String(m.type)}/${String(m.code)}`

/** One OR-block: alternatives, any of which satisfies it. */
interface Block {
  readonly alternatives: readonly string[]
}

/** The match of one side: main-rule fragments, positive blocks and negated alternatives. */
interface SideMatch {
  readonly main: string[]
  readonly negMain: string[]
  readonly blocks: Block[]
  readonly negBlock: string[]
}

function sideMatch(
  e: PreparedEntity,
  dir: 'src' | 'dst',
  family: IpFamily,
  protoPrefix: string
): SideMatch {
  const main: string[] = []
  const negMain: string[] = []
  const blocks: Block[] = []
  const negBlock: string[] = []
  const netFlag = dir === 'src' ? '--source' : '--destination'
  const portFlag = dir === 'src' ? '--source-ports' : '--destination-ports'
  const nets = filterNets(e.nets, family) ?? []
  const notNets = filterNets(e.notNets, family) ?? []
  if (nets.length === 1) main.push(`${netFlag} ${nets[0] ?? ''}`)
  else if (nets.length > 1) blocks.push({ alternatives: nets.map((n) => `${netFlag} ${n}`) })
  if (e.sel !== undefined) main.push(`-m set --match-set ${setName(e.sel, family)} ${dir}`)
  const chunks = splitPortList(e.ports)
  const named = e.namedPorts.map((id) => `-m set --match-set ${setName(id, family)} ${dir},${dir}`)
  const portAlts = chunks.length + named.length
  if (portAlts === 1 && chunks.length === 1) {
    main.push(`-m multiport ${portFlag} ${(chunks[0] ?? []).join(',')}`)
  } else if (portAlts === 1) {
    main.push(named[0] ?? '')
  } else if (portAlts > 1) {
    blocks.push({
      alternatives: [
        ...chunks.map((c) => `${protoPrefix}-m multiport ${portFlag} ${c.join(',')}`),
        ...named,
      ],
    })
  }
  if (notNets.length === 1) negMain.push(`! ${netFlag} ${notNets[0] ?? ''}`)
  else if (notNets.length > 1) negBlock.push(...notNets.map((n) => `${netFlag} ${n}`))
  if (e.notSel !== undefined)
    negMain.push(`-m set ! --match-set ${setName(e.notSel, family)} ${dir}`)
  for (const c of splitPortList(e.notPorts))
    negMain.push(`-m multiport ! ${portFlag} ${c.join(',')}`)
  for (const id of e.notNamedPorts) {
    negMain.push(`-m set ! --match-set ${setName(id, family)} ${dir},${dir}`)
  }
  return { main, negMain, blocks, negBlock }
}

/** Rule bodies for one rule in one family (empty when the rule does not apply to it). */
export function renderRule(r: PreparedRule, ctx: RuleRenderContext): string[] {
  if (!ruleAppliesTo(r, ctx.family)) return []
  const { marks, family } = ctx
  const protoPrefix = r.protocol === undefined ? '' : `-p ${r.protocol} `
  const src = sideMatch(r.src, 'src', family, protoPrefix)
  const dst = sideMatch(r.dst, 'dst', family, protoPrefix)
  const main: string[] = []
  if (r.protocol !== undefined) main.push(`-p ${r.protocol}`)
  main.push(...src.main, ...dst.main)
  const icmpModule = family === 4 ? '-m icmp' : '-m icmp6'
  const icmpFlag = family === 4 ? '--icmp-type' : '--icmpv6-type'
  if (r.icmp?.type !== undefined) main.push(`${icmpModule} ${icmpFlag} ${icmpText(r.icmp)}`)
  if (r.notProtocol !== undefined) main.push(`! -p ${r.notProtocol}`)
  main.push(...src.negMain, ...dst.negMain)
  if (r.notICMP?.type !== undefined) {
    main.push(`${icmpModule} ! ${icmpFlag} ${icmpText(r.notICMP)}`)
  }
  const out: string[] = []
  const blocks = [...src.blocks, ...dst.blocks]
  const negBlock = [...src.negBlock, ...dst.negBlock]
  if (blocks.length > 0 || negBlock.length > 0) {
    const s0 = marks.scratch0
    const s1 = marks.scratch1
    const both = hex(s0 | s1)
    out.push(`--jump MARK --set-mark ${blocks.length > 0 ? '0x0' : hex(s0)}/${both}`)
    blocks.forEach((b, i) => {
      if (i === 0) {
        for (const alt of b.alternatives)
          out.push(`${alt} --jump MARK --set-mark ${hex(s0)}/${hex(s0)}`)
        return
      }
      if (i > 1) out.push(`--jump MARK --set-mark 0/${hex(s1)}`)
      for (const alt of b.alternatives) {
        out.push(
          `-m mark --mark ${hex(s0)}/${hex(s0)} ${alt} --jump MARK --set-mark ${hex(s1)}/${hex(s1)}`
        )
      }
      out.push(`-m mark --mark 0/${hex(s1)} --jump MARK --set-mark 0/${hex(s0)}`)
    })
    for (const alt of negBlock) out.push(`${alt} --jump MARK --set-mark 0/${hex(s0)}`)
    main.push(`-m mark --mark ${hex(s0)}/${hex(s0)}`)
  }
  const match = main.join(' ')
  const withMatch = (action: string): string => (match === '' ? action : `${match} ${action}`)
  const markThen = (mark: number, then: string): void => {
    out.push(withMatch(`--jump MARK --set-mark ${hex(mark)}/${hex(mark)}`))
    out.push(`-m mark --mark ${hex(mark)}/${hex(mark)} --jump ${then}`)
  }
  switch (r.action) {
    case 'Allow':
      markThen(marks.accept, 'RETURN')
      break
    case 'Pass':
      markThen(marks.pass, 'RETURN')
      break
    case 'Deny':
      markThen(marks.drop, 'DROP')
      break
    case 'Log':
      out.push(withMatch(`--jump LOG --log-prefix "${ctx.logPrefix}: " --log-level 5`))
      break
  }
  return out
}

/** The comment on a policy or profile chain's first rule, e.g. `NetworkPolicy prod/web ingress`. */
export function chainComment(p: PreparedPolicy, dir: 'ingress' | 'egress'): string {
  const name = p.namespace === undefined ? p.name : `${p.namespace}/${p.name}`
  return `${p.kind} ${name} ${dir}`
}

/**
 * The rules of a policy (or profile) chain in one family: every rule rendered, trailing RETURNs
 * stripped, the chain comment on the first rule (or alone when the chain is empty).
 */
export function renderPolicyChain(
  p: PreparedPolicy,
  dir: 'ingress' | 'egress',
  ctx: RuleRenderContext
): string[] {
  const rules = (dir === 'ingress' ? p.ingress : p.egress) ?? []
  const out = rules.flatMap((r) => renderRule(r, ctx))
  while (out.length > 0 && (out[out.length - 1] ?? '').endsWith('--jump RETURN')) out.pop()
  const comment = `-m comment --comment "${chainComment(p, dir)}"`
  if (out.length === 0) return [comment]
  out[0] = `${comment} ${out[0] ?? ''}`
  return out
}

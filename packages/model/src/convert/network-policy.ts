/**
 * Kubernetes NetworkPolicy → Calico NetworkPolicy `knp.default.<name>` (libcalico-go
 * `conversion.K8sNetworkPolicyToCalico`).
 *
 * Implementation: label selectors are rendered in Calico syntax (`k == 'v'`, `k in { 'a', 'b' }`,
 * `has(k)`, `! has(k)`), pod selectors always start with `projectcalico.org/orchestrator == 'k8s'`,
 * and an empty namespace selector is `all()`. Each rule expands to one Calico rule per peer and
 * per protocol (ports of one protocol share a rule); a peer without a namespace selector selects
 * pods in the policy's own namespace, which is what a Calico NetworkPolicy rule selector means.
 * Without `policyTypes`, the policy is Ingress, plus Egress when it has egress rules.
 */
import { validateSelector } from '@cattail/selector'
import type { EntityRule, NetworkPolicy, PolicyPort, PolicyRule } from '../resources.js'
import { arr, fail, obj, oneOf, optNum, optObj, optStr, show, str } from '../validate/fields.js'
import { readMeta } from '../validate/meta.js'
import { isValidCidr } from '../validate/net.js'
import { LABEL_ORCHESTRATOR, ORCHESTRATOR_K8S, knpPolicyName } from './names.js'

type Json = Readonly<Record<string, unknown>>

/** Order given to converted Kubernetes policies (Calico's value). */
export const KNP_ORDER = 1000

/** Renders a Kubernetes LabelSelector in Calico syntax; `forPods` adds the orchestrator term. */
export function labelSelectorToCalico(v: unknown, field: string, forPods: boolean): string {
  const terms: string[] = forPods ? [`${LABEL_ORCHESTRATOR} == '${ORCHESTRATOR_K8S}'`] : []
  const s = obj(v, field)
  const matchLabels = obj(s['matchLabels'], `${field}.matchLabels`)
  const exprs = arr(s['matchExpressions'], `${field}.matchExpressions`, (x, f) => obj(x, f))
  if (!forPods && Object.keys(matchLabels).length === 0 && exprs.length === 0) return 'all()'
  for (const k of Object.keys(matchLabels).sort()) {
    const val = matchLabels[k]
    if (typeof val !== 'string')
      fail(`${field}.matchLabels.${k}`, `must be a string, got ${show(val)}`)
    terms.push(`${k} == '${val}'`)
  }
  exprs.forEach((e, i) => {
    const f = `${field}.matchExpressions[${i}]`
    const key = str(e['key'], `${f}.key`)
    const op =
      oneOf(e['operator'], `${f}.operator`, ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const) ??
      fail(`${f}.operator`, 'is required')
    const values = arr(e['values'], `${f}.values`, (x, vf) =>
      typeof x === 'string' ? x : fail(vf, `must be a string, got ${show(x)}`)
    )
    const list = values.map((x) => `'${x}'`).join(', ')
    switch (op) {
      case 'In':
        terms.push(`${key} in { ${list} }`)
        break
      case 'NotIn':
        terms.push(`${key} not in { ${list} }`)
        break
      case 'Exists':
        terms.push(`has(${key})`)
        break
      case 'DoesNotExist':
        terms.push(`! has(${key})`)
        break
    }
  })
  const out = terms.length === 0 ? 'all()' : terms.join(' && ')
  // Kubernetes validates label keys and values, but manifests from the file driver are not: make
  // sure what we hand on parses (a key with a space would not).
  const err = validateSelector(out)
  if (err !== undefined)
    fail(field, `does not give a valid Calico selector (${show(out)}): ${err.message}`)
  return out
}

/** Peer → the entity fields it sets (selector, namespaceSelector, nets, notNets). */
function peerFields(v: unknown, f: string): EntityRule {
  const p = obj(v, f)
  const pod = optObj(p['podSelector'], `${f}.podSelector`)
  const ns = optObj(p['namespaceSelector'], `${f}.namespaceSelector`)
  const ipBlock = optObj(p['ipBlock'], `${f}.ipBlock`)
  if (pod !== undefined || ns !== undefined) {
    return {
      selector: labelSelectorToCalico(pod ?? {}, `${f}.podSelector`, true),
      ...(ns !== undefined && {
        namespaceSelector: labelSelectorToCalico(ns, `${f}.namespaceSelector`, false),
      }),
    }
  }
  if (ipBlock !== undefined) {
    const cidr = str(ipBlock['cidr'], `${f}.ipBlock.cidr`)
    if (!isValidCidr(cidr)) fail(`${f}.ipBlock.cidr`, `${show(cidr)} is not a valid CIDR`)
    const except = arr(ipBlock['except'], `${f}.ipBlock.except`, (x, xf) => {
      const c = str(x, xf)
      if (!isValidCidr(c)) fail(xf, `${show(c)} is not a valid CIDR`)
      return c
    })
    return { nets: [cidr], ...(except.length > 0 && { notNets: except }) }
  }
  fail(f, 'must set podSelector, namespaceSelector or ipBlock')
}

interface PortGroup {
  readonly protocol: string
  /** undefined = all ports of the protocol. */
  ports: PolicyPort[] | undefined
}

/** Groups a rule's ports by protocol; `[undefined]` when the rule has no ports (any protocol). */
function portGroups(v: unknown, f: string): (PortGroup | undefined)[] {
  const groups: PortGroup[] = []
  arr(v, f, (x, pf) => {
    const p = obj(x, pf)
    const protocol = oneOf(p['protocol'], `${pf}.protocol`, ['TCP', 'UDP', 'SCTP'] as const, 'TCP')
    const raw = p['port']
    let port: PolicyPort | undefined
    if (typeof raw === 'number') {
      const lo = optNum(raw, `${pf}.port`, { integer: true, min: 1, max: 65535 }) as number
      const end = optNum(p['endPort'], `${pf}.endPort`, { integer: true, min: lo, max: 65535 })
      port = end !== undefined && end !== lo ? `${lo}:${end}` : lo
    } else {
      port = optStr(raw, `${pf}.port`)
    }
    let g = groups.find((x) => x.protocol === protocol)
    if (g === undefined) {
      g = { protocol, ports: [] }
      groups.push(g)
    }
    if (port === undefined) g.ports = undefined
    else g.ports?.push(port)
  })
  return groups.length === 0 ? [undefined] : groups
}

function convertRules(v: unknown, field: string, direction: 'ingress' | 'egress'): PolicyRule[] {
  const peerKey = direction === 'ingress' ? 'from' : 'to'
  const out: PolicyRule[] = []
  arr(v, field, (x, rf) => {
    const r = obj(x, rf)
    const peers: (EntityRule | undefined)[] = arr(r[peerKey], `${rf}.${peerKey}`, peerFields)
    if (peers.length === 0) peers.push(undefined)
    const groups = portGroups(r['ports'], `${rf}.ports`)
    for (const peer of peers) {
      for (const g of groups) {
        const portPart: EntityRule | undefined =
          g?.ports !== undefined && g.ports.length > 0 ? { ports: g.ports } : undefined
        const source = direction === 'ingress' ? peer : undefined
        const destination =
          direction === 'ingress'
            ? portPart
            : peer === undefined && portPart === undefined
              ? undefined
              : { ...peer, ...portPart }
        out.push({
          action: 'Allow',
          ...(g !== undefined && { protocol: g.protocol }),
          ...(source !== undefined && { source }),
          ...(destination !== undefined && { destination }),
        })
      }
    }
  })
  return out
}

/** Kubernetes NetworkPolicy (untrusted JSON) → Calico NetworkPolicy; throws FieldProblem when invalid. */
export function kubeNetworkPolicyToCalico(np: Json): NetworkPolicy {
  const meta = readMeta(np['metadata'], { namespaced: true, strictName: true })
  const spec = obj(np['spec'], 'spec')
  const declared = arr(
    spec['policyTypes'],
    'spec.policyTypes',
    (x, f) => oneOf(x, f, ['Ingress', 'Egress'] as const) ?? fail(f, 'is required')
  )
  const egressRaw = arr(spec['egress'], 'spec.egress', (x) => x)
  const types: ('Ingress' | 'Egress')[] =
    declared.length > 0
      ? [...new Set(declared)]
      : egressRaw.length > 0
        ? ['Ingress', 'Egress']
        : ['Ingress']
  const ingress = types.includes('Ingress')
    ? convertRules(spec['ingress'], 'spec.ingress', 'ingress')
    : []
  const egress = types.includes('Egress')
    ? convertRules(spec['egress'], 'spec.egress', 'egress')
    : []
  return {
    kind: 'NetworkPolicy',
    metadata: {
      name: knpPolicyName(meta.name),
      namespace: meta.namespace ?? 'default',
      ...(meta.uid !== undefined && { uid: meta.uid }),
      ...(meta.resourceVersion !== undefined && { resourceVersion: meta.resourceVersion }),
      ...(meta.creationTimestamp !== undefined && { creationTimestamp: meta.creationTimestamp }),
    },
    spec: {
      tier: 'default',
      order: KNP_ORDER,
      selector: labelSelectorToCalico(spec['podSelector'] ?? {}, 'spec.podSelector', true),
      types,
      ...(ingress.length > 0 && { ingress }),
      ...(egress.length > 0 && { egress }),
    },
  }
}

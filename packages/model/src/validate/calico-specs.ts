/**
 * Validators for the spec of every Calico v3 kind cattail carries. Each reads an untrusted `spec`
 * and returns the model's typed spec with defaults filled in, or throws a FieldProblem naming the
 * field (callers wrap them in `checked`). Unknown fields are dropped.
 */
import type {
  NetworkSetSpec,
  AllocationAttribute,
  CalicoNode,
  EndpointPort,
  EntityRule,
  GlobalNetworkPolicy,
  HostEndpoint,
  IPAMBlock,
  IPPool,
  PolicyPort,
  PolicyRule,
  PolicySpec,
  Profile,
  RemoteClusterConfigurationSpec,
  Tier,
  WorkloadEndpoint,
} from '../resources.js'
import {
  arr,
  cidr,
  fail,
  ipOrCidr,
  obj,
  oneOf,
  optBool,
  optIp,
  optIpMaybeCidr,
  optMac,
  optNum,
  optObj,
  optStr,
  optStringMap,
  show,
  str,
} from './fields.js'
import { parseCidr } from './net.js'
import { optSelector } from './selector.js'

type Spec<T extends { spec: unknown }> = T['spec']

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const

/** An endpoint's named port. */
export function endpointPort(v: unknown, field: string): EndpointPort {
  const p = obj(v, field)
  return {
    name: str(p['name'], `${field}.name`),
    protocol: oneOf(p['protocol'], `${field}.protocol`, PROTOCOLS, 'TCP'),
    port:
      optNum(p['port'], `${field}.port`, { integer: true, min: 1, max: 65535 }) ??
      fail(`${field}.port`, 'is required'),
  }
}

const strItem = (x: unknown, f: string): string => str(x, f)

/** WorkloadEndpoint spec. */
export function workloadEndpointSpec(v: unknown): Spec<WorkloadEndpoint> {
  const s = obj(v, 'spec', true)
  const opt = (k: string): string | undefined => optStr(s[k], `spec.${k}`)
  const workload = opt('workload')
  const containerID = opt('containerID')
  const pod = opt('pod')
  const serviceAccountName = opt('serviceAccountName')
  const interfaceName = opt('interfaceName')
  const mac = optMac(s['mac'], 'spec.mac')
  const ports = arr(s['ports'], 'spec.ports', endpointPort)
  return {
    orchestrator: opt('orchestrator') ?? 'k8s',
    ...(workload !== undefined && { workload }),
    node: str(s['node'], 'spec.node'),
    ...(containerID !== undefined && { containerID }),
    ...(pod !== undefined && { pod }),
    endpoint: opt('endpoint') ?? 'eth0',
    ...(serviceAccountName !== undefined && { serviceAccountName }),
    ipNetworks: arr(s['ipNetworks'], 'spec.ipNetworks', ipOrCidr),
    profiles: arr(s['profiles'], 'spec.profiles', strItem),
    ...(interfaceName !== undefined && { interfaceName }),
    ...(mac !== undefined && { mac }),
    ...(ports.length > 0 && { ports }),
  }
}

/** HostEndpoint spec. */
export function hostEndpointSpec(v: unknown): Spec<HostEndpoint> {
  const s = obj(v, 'spec', true)
  const interfaceName = optStr(s['interfaceName'], 'spec.interfaceName')
  const ports = arr(s['ports'], 'spec.ports', endpointPort)
  return {
    node: str(s['node'], 'spec.node'),
    ...(interfaceName !== undefined && { interfaceName }),
    expectedIPs: arr(s['expectedIPs'], 'spec.expectedIPs', (x, f) => optIp(str(x, f), f) as string),
    profiles: arr(s['profiles'], 'spec.profiles', strItem),
    ...(ports.length > 0 && { ports }),
  }
}

/** Profile spec: `labelsToApply` and the rules (remote profiles drop their rules, see remote.ts). */
export function profileSpec(v: unknown): Spec<Profile> {
  const s = obj(v, 'spec')
  const ingress = arr(s['ingress'], 'spec.ingress', policyRule)
  const egress = arr(s['egress'], 'spec.egress', policyRule)
  return {
    labelsToApply: optStringMap(s['labelsToApply'], 'spec.labelsToApply') ?? {},
    ...(ingress.length > 0 && { ingress }),
    ...(egress.length > 0 && { egress }),
  }
}

/** NetworkSet / GlobalNetworkSet spec: `nets`, each an address or CIDR of either family. */
export function networkSetSpec(v: unknown): NetworkSetSpec {
  const s = obj(v, 'spec')
  return { nets: arr(s['nets'], 'spec.nets', ipOrCidr) }
}

/** Node spec: the addresses the VXLAN overlay needs. */
export function nodeSpec(v: unknown): Spec<CalicoNode> {
  const s = obj(v, 'spec')
  const b = optObj(s['bgp'], 'spec.bgp')
  const ipv4Address = b && optIpMaybeCidr(b['ipv4Address'], 'spec.bgp.ipv4Address')
  const ipv6Address = b && optIpMaybeCidr(b['ipv6Address'], 'spec.bgp.ipv6Address')
  const bgp = {
    ...(ipv4Address !== undefined && { ipv4Address }),
    ...(ipv6Address !== undefined && { ipv6Address }),
  }
  const ipv4VXLANTunnelAddr = optIp(s['ipv4VXLANTunnelAddr'], 'spec.ipv4VXLANTunnelAddr')
  const vxlanTunnelMACAddr = optMac(s['vxlanTunnelMACAddr'], 'spec.vxlanTunnelMACAddr')
  const ipv6VXLANTunnelAddr = optIp(s['ipv6VXLANTunnelAddr'], 'spec.ipv6VXLANTunnelAddr')
  const vxlanTunnelMACAddrV6 = optMac(s['vxlanTunnelMACAddrV6'], 'spec.vxlanTunnelMACAddrV6')
  return {
    ...(Object.keys(bgp).length > 0 && { bgp }),
    ...(ipv4VXLANTunnelAddr !== undefined && { ipv4VXLANTunnelAddr }),
    ...(vxlanTunnelMACAddr !== undefined && { vxlanTunnelMACAddr }),
    ...(ipv6VXLANTunnelAddr !== undefined && { ipv6VXLANTunnelAddr }),
    ...(vxlanTunnelMACAddrV6 !== undefined && { vxlanTunnelMACAddrV6 }),
  }
}

const ENCAP = ['Always', 'CrossSubnet', 'Never'] as const
const USES = ['Workload', 'Tunnel', 'LoadBalancer'] as const

/** IPPool spec; modes default to `Never`, flags to false. */
export function ipPoolSpec(v: unknown): Spec<IPPool> {
  const s = obj(v, 'spec', true)
  const c = cidr(s['cidr'], 'spec.cidr')
  const version = parseCidr(c)?.version ?? 4
  const vxlanMode = oneOf(s['vxlanMode'], 'spec.vxlanMode', ENCAP, 'Never')
  const ipipMode = oneOf(s['ipipMode'], 'spec.ipipMode', ENCAP, 'Never')
  if (vxlanMode !== 'Never' && ipipMode !== 'Never') {
    fail('spec.vxlanMode', 'and spec.ipipMode cannot both be enabled')
  }
  const [min, max] = version === 4 ? [20, 32] : [116, 128]
  const blockSize = optNum(s['blockSize'], 'spec.blockSize', { integer: true, min, max })
  const nodeSelector = optSelector(s['nodeSelector'], 'spec.nodeSelector')
  const allowedUses = arr(s['allowedUses'], 'spec.allowedUses', (x, f) =>
    oneOf(x, f, USES, 'Workload')
  )
  return {
    cidr: c,
    vxlanMode,
    ipipMode,
    natOutgoing: optBool(s['natOutgoing'], 'spec.natOutgoing') ?? false,
    disabled: optBool(s['disabled'], 'spec.disabled') ?? false,
    ...(blockSize !== undefined && { blockSize }),
    ...(nodeSelector !== undefined && { nodeSelector }),
    ...(allowedUses.length > 0 && { allowedUses }),
  }
}

/** IPAM block spec (Calico's AllocationBlock). */
export function ipamBlockSpec(v: unknown): Spec<IPAMBlock> {
  const s = obj(v, 'spec', true)
  const c = cidr(s['cidr'], 'spec.cidr')
  const affinity = optStr(s['affinity'], 'spec.affinity')
  const attributes = arr(s['attributes'], 'spec.attributes', (x, f): AllocationAttribute => {
    const a = obj(x, f)
    const handleId = optStr(a['handle_id'], `${f}.handle_id`)
    const secondary = optStringMap(a['secondary'], `${f}.secondary`)
    return {
      ...(handleId !== undefined && { handle_id: handleId }),
      ...(secondary !== undefined && { secondary }),
    }
  })
  const allocations = arr(s['allocations'], 'spec.allocations', (x, f) => {
    if (x === null) return null
    const n = optNum(x, f, { integer: true, min: 0 }) as number
    if (n >= attributes.length)
      fail(f, `refers to attribute ${n}, but there are ${attributes.length}`)
    return n
  })
  const unallocated = arr(
    s['unallocated'],
    'spec.unallocated',
    (x, f) => optNum(x, f, { integer: true, min: 0 }) ?? fail(f, 'is required')
  )
  const strictAffinity = optBool(s['strictAffinity'], 'spec.strictAffinity')
  const deleted = optBool(s['deleted'], 'spec.deleted')
  return {
    cidr: c,
    ...(affinity !== undefined && { affinity }),
    allocations,
    unallocated,
    attributes,
    ...(strictAffinity !== undefined && { strictAffinity }),
    ...(deleted !== undefined && { deleted }),
  }
}

const PORT_RANGE = /^([0-9]{1,5})(?::([0-9]{1,5}))?$/

/** A rule port: a number, `"a:b"` range, or a named port. */
function policyPort(v: unknown, field: string): PolicyPort {
  if (typeof v === 'number') {
    return optNum(v, field, { integer: true, min: 0, max: 65535 }) as number
  }
  const s = str(v, field)
  const m = PORT_RANGE.exec(s)
  if (m === null) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s) || s.length > 15) {
      fail(field, `${show(s)} is not a valid port, port range or port name`)
    }
    return s
  }
  const lo = Number(m[1])
  const hi = m[2] === undefined ? lo : Number(m[2])
  if (lo > 65535 || hi > 65535 || lo > hi) fail(field, `${show(s)} is not a valid port range`)
  return m[2] === undefined ? lo : s
}

function entityRule(v: unknown, field: string): EntityRule | undefined {
  const e = optObj(v, field)
  if (e === undefined) return undefined
  const nets = arr(e['nets'], `${field}.nets`, ipOrCidr)
  const notNets = arr(e['notNets'], `${field}.notNets`, ipOrCidr)
  const selector = optSelector(e['selector'], `${field}.selector`)
  const notSelector = optSelector(e['notSelector'], `${field}.notSelector`)
  const namespaceSelector = optSelector(e['namespaceSelector'], `${field}.namespaceSelector`)
  const ports = arr(e['ports'], `${field}.ports`, policyPort)
  const notPorts = arr(e['notPorts'], `${field}.notPorts`, policyPort)
  const sa = optObj(e['serviceAccounts'], `${field}.serviceAccounts`)
  const saNames = sa && arr(sa['names'], `${field}.serviceAccounts.names`, strItem)
  const saSelector = sa && optSelector(sa['selector'], `${field}.serviceAccounts.selector`)
  return {
    ...(nets.length > 0 && { nets }),
    ...(notNets.length > 0 && { notNets }),
    ...(selector !== undefined && { selector }),
    ...(notSelector !== undefined && { notSelector }),
    ...(namespaceSelector !== undefined && { namespaceSelector }),
    ...(ports.length > 0 && { ports }),
    ...(notPorts.length > 0 && { notPorts }),
    ...(sa !== undefined && {
      serviceAccounts: {
        ...(saNames !== undefined && saNames.length > 0 && { names: saNames }),
        ...(saSelector !== undefined && { selector: saSelector }),
      },
    }),
  }
}

function protocol(v: unknown, field: string): string | number | undefined {
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v === 'number') return optNum(v, field, { integer: true, min: 0, max: 255 })
  if (typeof v !== 'string') fail(field, `must be a protocol name or number, got ${show(v)}`)
  return v
}

const ACTIONS = ['Allow', 'Deny', 'Log', 'Pass'] as const

function policyRule(v: unknown, field: string): PolicyRule {
  const r = obj(v, field)
  const proto = protocol(r['protocol'], `${field}.protocol`)
  const notProto = protocol(r['notProtocol'], `${field}.notProtocol`)
  const ipv = optNum(r['ipVersion'], `${field}.ipVersion`, { integer: true })
  if (ipv !== undefined && ipv !== 4 && ipv !== 6)
    fail(`${field}.ipVersion`, `must be 4 or 6, got ${ipv}`)
  const icmpIn = optObj(r['icmp'], `${field}.icmp`)
  const icmpType =
    icmpIn && optNum(icmpIn['type'], `${field}.icmp.type`, { integer: true, min: 0, max: 255 })
  const icmpCode =
    icmpIn && optNum(icmpIn['code'], `${field}.icmp.code`, { integer: true, min: 0, max: 255 })
  const notIcmpIn = optObj(r['notICMP'], `${field}.notICMP`)
  const notIcmpType =
    notIcmpIn &&
    optNum(notIcmpIn['type'], `${field}.notICMP.type`, { integer: true, min: 0, max: 255 })
  const notIcmpCode =
    notIcmpIn &&
    optNum(notIcmpIn['code'], `${field}.notICMP.code`, { integer: true, min: 0, max: 255 })
  if (icmpCode !== undefined && icmpType === undefined)
    fail(`${field}.icmp.code`, 'needs icmp.type')
  if (notIcmpCode !== undefined && notIcmpType === undefined)
    fail(`${field}.notICMP.code`, 'needs notICMP.type')
  const source = entityRule(r['source'], `${field}.source`)
  const destination = entityRule(r['destination'], `${field}.destination`)
  return {
    action:
      oneOf(r['action'], `${field}.action`, ACTIONS) ?? fail(`${field}.action`, 'is required'),
    ...(proto !== undefined && { protocol: proto }),
    ...(notProto !== undefined && { notProtocol: notProto }),
    ...(ipv !== undefined && { ipVersion: ipv }),
    ...(icmpIn !== undefined && {
      icmp: {
        ...(icmpType !== undefined && { type: icmpType }),
        ...(icmpCode !== undefined && { code: icmpCode }),
      },
    }),
    ...(notIcmpIn !== undefined && {
      notICMP: {
        ...(notIcmpType !== undefined && { type: notIcmpType }),
        ...(notIcmpCode !== undefined && { code: notIcmpCode }),
      },
    }),
    ...(source !== undefined && { source }),
    ...(destination !== undefined && { destination }),
  }
}

const TYPES = ['Ingress', 'Egress'] as const

/** Policy flags for host-endpoint forwarding and pre-DNAT policy, which cattail does not render. */
const UNSUPPORTED_POLICY_FLAGS = ['applyOnForward', 'preDNAT', 'doNotTrack'] as const

const UNSUPPORTED_REASON: Readonly<Record<(typeof UNSUPPORTED_POLICY_FLAGS)[number], string>> = {
  applyOnForward:
    'applyOnForward is not supported (cattail renders workload policy only, not host-endpoint forward policy)',
  preDNAT: 'preDNAT is not supported (cattail renders no pre-DNAT policy in mangle PREROUTING)',
  doNotTrack: 'doNotTrack is not supported (cattail renders no untracked policy in raw)',
}

/** NetworkPolicy / GlobalNetworkPolicy spec. */
export function policySpec(v: unknown): PolicySpec {
  const s = obj(v, 'spec')
  for (const f of UNSUPPORTED_POLICY_FLAGS) {
    if (s[f] === true) fail(`spec.${f}`, UNSUPPORTED_REASON[f])
  }
  const tier = optStr(s['tier'], 'spec.tier')
  const order = optNum(s['order'], 'spec.order')
  const selector = optSelector(s['selector'], 'spec.selector')
  const namespaceSelector = optSelector(s['namespaceSelector'], 'spec.namespaceSelector')
  const types = arr(
    s['types'],
    'spec.types',
    (x, f) => oneOf(x, f, TYPES) ?? fail(f, 'is required')
  )
  const ingress = arr(s['ingress'], 'spec.ingress', policyRule)
  const egress = arr(s['egress'], 'spec.egress', policyRule)
  return {
    ...(tier !== undefined && { tier }),
    ...(order !== undefined && { order }),
    ...(selector !== undefined && { selector }),
    ...(namespaceSelector !== undefined && { namespaceSelector }),
    ...(types.length > 0 && { types }),
    ...(ingress.length > 0 && { ingress }),
    ...(egress.length > 0 && { egress }),
  }
}

/** GlobalNetworkPolicy spec (same shape as NetworkPolicy). */
export const globalPolicySpec = (v: unknown): Spec<GlobalNetworkPolicy> => policySpec(v)

/** Tier spec. */
export function tierSpec(v: unknown): Spec<Tier> {
  const s = obj(v, 'spec')
  const order = optNum(s['order'], 'spec.order')
  const defaultAction = oneOf(s['defaultAction'], 'spec.defaultAction', ['Deny', 'Pass'] as const)
  return {
    ...(order !== undefined && { order }),
    ...(defaultAction !== undefined && { defaultAction }),
  }
}

/** RCC connection fields that must be empty when `clusterAccessSecret` is set. */
const RCC_CONNECTION_FIELDS = [
  'etcdEndpoints',
  'etcdUsername',
  'etcdPassword',
  'etcdKeyFile',
  'etcdCertFile',
  'etcdCACertFile',
  'kubeconfig',
  'kubeconfigInline',
  'k8sAPIEndpoint',
  'k8sKeyFile',
  'k8sCertFile',
  'k8sCAFile',
  'k8sAPIToken',
] as const

/** RemoteClusterConfiguration spec (DESIGN.md, "The user contract we keep"). */
export function rccSpec(v: unknown): RemoteClusterConfigurationSpec {
  const s = obj(v, 'spec')
  const datastoreType = oneOf(s['datastoreType'], 'spec.datastoreType', [
    'kubernetes',
    'etcdv3',
  ] as const)
  const cas = optObj(s['clusterAccessSecret'], 'spec.clusterAccessSecret')
  const strings: Partial<Record<(typeof RCC_CONNECTION_FIELDS)[number], string>> = {}
  for (const k of RCC_CONNECTION_FIELDS) {
    const val = optStr(s[k], `spec.${k}`)
    if (val !== undefined) strings[k] = val
  }
  const insecure = optBool(s['k8sInsecureSkipTLSVerify'], 'spec.k8sInsecureSkipTLSVerify')
  if (cas !== undefined) {
    const other =
      Object.keys(strings)[0] ?? (datastoreType !== undefined ? 'datastoreType' : undefined)
    if (other !== undefined) {
      fail('spec.clusterAccessSecret', `is set, so spec.${other} must be empty`)
    }
  }
  const so = optObj(s['syncOptions'], 'spec.syncOptions')
  const mode =
    so &&
    oneOf(so['overlayRoutingMode'], 'spec.syncOptions.overlayRoutingMode', [
      'Enabled',
      'Disabled',
    ] as const)
  const casKind = cas && optStr(cas['kind'], 'spec.clusterAccessSecret.kind')
  if (casKind !== undefined && casKind !== 'Secret') {
    fail('spec.clusterAccessSecret.kind', `must be Secret, got ${show(casKind)}`)
  }
  const casNs = cas && optStr(cas['namespace'], 'spec.clusterAccessSecret.namespace')
  return {
    ...(datastoreType !== undefined && { datastoreType }),
    ...(cas !== undefined && {
      clusterAccessSecret: {
        ...(casKind !== undefined && { kind: casKind }),
        name: str(cas['name'], 'spec.clusterAccessSecret.name'),
        ...(casNs !== undefined && { namespace: casNs }),
      },
    }),
    ...strings,
    ...(insecure !== undefined && { k8sInsecureSkipTLSVerify: insecure }),
    ...(so !== undefined && {
      syncOptions: { ...(mode !== undefined && { overlayRoutingMode: mode }) },
    }),
  }
}

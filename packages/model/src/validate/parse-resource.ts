/**
 * Validation of Calico v3 JSON (`{apiVersion: 'projectcalico.org/v3', kind, metadata, spec}`), as
 * the etcd and file drivers read it and as the Kubernetes driver reads Calico CRDs
 * (`crd.projectcalico.org/v1`, same spec). Returns a typed model Resource or a precise
 * ValidationError; never throws on bad input.
 */
import type { ValidationError } from '../errors.js'
import type { Resource, ResourceKind } from '../resources.js'
import {
  globalPolicySpec,
  hostEndpointSpec,
  ipamBlockSpec,
  ipPoolSpec,
  networkSetSpec,
  nodeSpec,
  policySpec,
  profileSpec,
  rccSpec,
  tierSpec,
  workloadEndpointSpec,
} from './calico-specs.js'
import { checked, fail, isObject, show } from './fields.js'
import { describeName, readMeta } from './meta.js'
import { remoteClusterNameProblem } from './names.js'

/** `apiVersion` of Calico's v3 API. */
export const CALICO_API_VERSION = 'projectcalico.org/v3'
/** `apiVersion` of Calico's CRDs in a Kubernetes datastore. */
export const CALICO_CRD_API_VERSION = 'crd.projectcalico.org/v1'

/** Calico kinds accepted by {@link parseResource}: every stored kind except the Kubernetes ones. */
export type CalicoKind = Exclude<
  ResourceKind,
  'RemoteClusterStatus' | 'Service' | 'Endpoints' | 'Secret'
>

/** Every Calico kind {@link parseResource} accepts. */
export const CALICO_KINDS: readonly CalicoKind[] = [
  'WorkloadEndpoint',
  'HostEndpoint',
  'Profile',
  'Node',
  'IPPool',
  'IPAMBlock',
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'Tier',
  'NetworkSet',
  'GlobalNetworkSet',
  'RemoteClusterConfiguration',
]

const CALICO_NAMESPACED: ReadonlySet<CalicoKind> = new Set([
  'WorkloadEndpoint',
  'NetworkPolicy',
  'NetworkSet',
])

/** True when `s` names a Calico kind. */
export const isCalicoKind = (s: unknown): s is CalicoKind =>
  typeof s === 'string' && (CALICO_KINDS as readonly string[]).includes(s)

/** Result of parsing one object. */
export type ParseResult = { ok: true; resource: Resource } | { ok: false; error: ValidationError }

/** Options for {@link parseResource}. */
export interface ParseResourceOptions {
  /** Accepted `apiVersion` values. @default [CALICO_API_VERSION, CALICO_CRD_API_VERSION] */
  readonly apiVersions?: readonly string[]
  /** When set, the object must be of this kind (the etcd driver knows it from the key). */
  readonly expectKind?: CalicoKind
}

/** Builds a resource of `kind` from validated metadata and spec. */
function build(kind: CalicoKind, o: Readonly<Record<string, unknown>>): Resource {
  const meta = readMeta(o['metadata'], {
    namespaced: CALICO_NAMESPACED.has(kind),
    // NetworkPolicy/GlobalNetworkPolicy names may carry a tier prefix (`tier.name`), all valid subdomains.
    strictName: kind !== 'WorkloadEndpoint' && kind !== 'Profile',
  })
  const spec = o['spec']
  switch (kind) {
    case 'WorkloadEndpoint':
      return { kind, metadata: meta, spec: workloadEndpointSpec(spec) }
    case 'HostEndpoint':
      return { kind, metadata: meta, spec: hostEndpointSpec(spec) }
    case 'Profile':
      return { kind, metadata: meta, spec: profileSpec(spec) }
    case 'Node':
      return { kind, metadata: meta, spec: nodeSpec(spec) }
    case 'IPPool':
      return { kind, metadata: meta, spec: ipPoolSpec(spec) }
    case 'IPAMBlock':
      return { kind, metadata: meta, spec: ipamBlockSpec(spec) }
    case 'NetworkPolicy':
      return { kind, metadata: meta, spec: policySpec(spec) }
    case 'GlobalNetworkPolicy':
      return { kind, metadata: meta, spec: globalPolicySpec(spec) }
    case 'Tier':
      return { kind, metadata: meta, spec: tierSpec(spec) }
    case 'NetworkSet':
      return { kind, metadata: meta, spec: networkSetSpec(spec) }
    case 'GlobalNetworkSet':
      return { kind, metadata: meta, spec: networkSetSpec(spec) }
    case 'RemoteClusterConfiguration': {
      const problem = remoteClusterNameProblem(meta.name)
      if (problem !== undefined) fail('metadata.name', problem)
      return { kind, metadata: meta, spec: rccSpec(spec) }
    }
  }
}

/**
 * Validates one Calico object. Errors name the kind, the object and the field, e.g.
 * `IPPool default-pool: spec.cidr "10.0.0/16" is not a valid CIDR`.
 */
export function parseResource(input: unknown, opts: ParseResourceOptions = {}): ParseResult {
  const apiVersions = opts.apiVersions ?? [CALICO_API_VERSION, CALICO_CRD_API_VERSION]
  const rawKind = isObject(input) ? input['kind'] : undefined
  const kindText =
    typeof rawKind === 'string' && rawKind !== '' ? rawKind : (opts.expectKind ?? '<unknown>')
  const res = checked(kindText, describeName(input), () => {
    if (!isObject(input)) fail('', `must be an object, got ${show(input)}`)
    const apiVersion = input['apiVersion']
    if (typeof apiVersion !== 'string' || !apiVersions.includes(apiVersion)) {
      fail('apiVersion', `must be ${apiVersions.join(' or ')}, got ${show(apiVersion)}`)
    }
    if (!isCalicoKind(rawKind)) {
      fail('kind', `must be one of ${CALICO_KINDS.join(', ')}, got ${show(rawKind)}`)
    }
    if (opts.expectKind !== undefined && rawKind !== opts.expectKind) {
      fail('kind', `must be ${opts.expectKind}, got ${show(rawKind)}`)
    }
    return build(rawKind, input)
  })
  return res.ok ? { ok: true, resource: res.value } : res
}

/**
 * One entry point for the Kubernetes driver (and the file driver's Kubernetes documents): converts
 * an object of a known API resource into model resources, or a precise ValidationError. Never
 * throws on bad input.
 */
import type { Resource } from '../resources.js'
import { assertNever } from '@cattail/common'
import { checked, fail, isObject, show } from '../validate/fields.js'
import { describeName } from '../validate/meta.js'
import { CALICO_CRD_API_VERSION, parseResource } from '../validate/parse-resource.js'
import { kubeEndpointsToEndpoints, kubeSecretToSecret, kubeServiceToService } from './core.js'
import { KUBE_RESOURCES, type KubeResourceType } from './kube-resources.js'
import { kubeNetworkPolicyToCalico } from './network-policy.js'
import { kubeNodeToCalicoNode } from './node.js'
import { podToWorkloadEndpoints } from './pod.js'
import { namespaceToProfile, serviceAccountToProfile } from './profiles.js'
import type { ConversionResult } from './result.js'
import type { CalicoKind } from '../validate/parse-resource.js'

function convertCore(
  resource: Exclude<KubeResourceType, CalicoCrd>,
  o: Readonly<Record<string, unknown>>
): Resource[] {
  switch (resource) {
    case 'pods':
      return podToWorkloadEndpoints(o)
    case 'namespaces':
      return [namespaceToProfile(o)]
    case 'serviceaccounts':
      return [serviceAccountToProfile(o)]
    case 'nodes':
      return [kubeNodeToCalicoNode(o)]
    case 'services':
      return [kubeServiceToService(o)]
    case 'endpoints':
      return [kubeEndpointsToEndpoints(o)]
    case 'secrets':
      return [kubeSecretToSecret(o)]
    case 'networkpolicies':
      return [kubeNetworkPolicyToCalico(o)]
    default:
      return assertNever(resource, 'kubernetes resource')
  }
}

type CalicoCrd =
  | 'ippools'
  | 'ipamblocks'
  | 'hostendpoints'
  | 'remoteclusterconfigurations'
  | 'globalnetworkpolicies'
  | 'calico-networkpolicies'
  | 'tiers'
  | 'networksets'
  | 'globalnetworksets'

const isCalicoCrd = (r: KubeResourceType): r is CalicoCrd =>
  KUBE_RESOURCES[r].group === 'crd.projectcalico.org'

/**
 * Converts one object of API resource `resource` (see `KUBE_RESOURCES`). Calico CRDs are validated
 * like v3 objects (their kind must match the resource); a missing `kind` is filled in.
 */
export function fromKubernetes(resource: KubeResourceType, input: unknown): ConversionResult {
  const info = KUBE_RESOURCES[resource]
  if (isCalicoCrd(resource)) {
    const o: unknown = isObject(input)
      ? { apiVersion: CALICO_CRD_API_VERSION, kind: info.kind, ...input }
      : input
    const res = parseResource(o, {
      apiVersions: [CALICO_CRD_API_VERSION],
      expectKind: info.kind as CalicoKind,
    })
    return res.ok ? { ok: true, resources: [res.resource] } : res
  }
  const res = checked(info.kind, describeName(input), () => {
    if (!isObject(input)) fail('', `must be an object, got ${show(input)}`)
    if (input['kind'] !== undefined && input['kind'] !== info.kind) {
      fail('kind', `must be ${info.kind}, got ${show(input['kind'])}`)
    }
    return convertCore(resource, input)
  })
  return res.ok ? { ok: true, resources: res.value } : res
}

/**
 * Remote-cluster naming (DESIGN.md "Remote naming"; Calico's `felixRemoteClusterProcessor`).
 *
 * Every object from remote cluster `b` (the RCC name) reaches the local cache under a key with a
 * `b/` cluster segment, and the names *inside* it that refer to other objects are prefixed too, so
 * they can never collide with local ones:
 *
 *   WorkloadEndpoint / HostEndpoint   spec.node `b/<node>`, spec.profiles `b/kns.<ns>`, `b/ksa.<ns>.<sa>`
 *   Profile                           metadata.name `b/kns.<ns>`
 *   Node                              metadata.name `b/<node>`
 *   IPAMBlock                         spec.affinity `host:b/<node>`, attributes[].secondary.node `b/<node>`
 *   everything else                   unchanged (the key's cluster segment keeps it apart)
 *
 * Pure; {@link stripClusterPrefix} is the inverse for names.
 */
import type { AllocationAttribute, Resource } from './resources.js'
import { assertNever } from '@cattail/common'
import { isValidRemoteClusterName, remoteClusterNameProblem } from './validate/names.js'

export { isValidRemoteClusterName, remoteClusterNameProblem }

/** `<cluster>/<name>`. */
export const prefixName = (cluster: string, name: string): string => `${cluster}/${name}`

/** Splits `b/node1` into `{ cluster: 'b', name: 'node1' }`; a name without `/` is local. */
export function stripClusterPrefix(name: string): { cluster: string | undefined; name: string } {
  const i = name.indexOf('/')
  if (i <= 0) return { cluster: undefined, name }
  return { cluster: name.slice(0, i), name: name.slice(i + 1) }
}

const AFFINITY_PREFIXES = ['host:', 'virtual:'] as const

/** Prefixes the node inside an IPAM block affinity: `host:n1` → `host:b/n1`. */
export function prefixAffinity(cluster: string, affinity: string): string {
  for (const p of AFFINITY_PREFIXES) {
    if (affinity.startsWith(p)) return `${p}${prefixName(cluster, affinity.slice(p.length))}`
  }
  return affinity
}

function prefixAttribute(cluster: string, a: AllocationAttribute): AllocationAttribute {
  const node = a.secondary?.['node']
  if (node === undefined) return a
  return { ...a, secondary: { ...a.secondary, node: prefixName(cluster, node) } }
}

/**
 * The resource as seen from the local cluster when it comes from remote `cluster` (see the table
 * at the top of this file). Does not change the input.
 */
export function prefixForCluster(cluster: string, r: Resource): Resource {
  switch (r.kind) {
    case 'WorkloadEndpoint':
      return {
        ...r,
        spec: {
          ...r.spec,
          node: prefixName(cluster, r.spec.node),
          profiles: r.spec.profiles.map((p) => prefixName(cluster, p)),
        },
      }
    case 'HostEndpoint':
      return {
        ...r,
        spec: {
          ...r.spec,
          node: prefixName(cluster, r.spec.node),
          profiles: r.spec.profiles.map((p) => prefixName(cluster, p)),
        },
      }
    case 'Profile':
      // Labels only: a remote cluster's profile rules never apply here.
      return {
        ...r,
        metadata: { ...r.metadata, name: prefixName(cluster, r.metadata.name) },
        spec: { labelsToApply: r.spec.labelsToApply },
      }
    case 'Node':
      return {
        ...r,
        metadata: { ...r.metadata, name: prefixName(cluster, r.metadata.name) },
      }
    case 'IPAMBlock':
      return {
        ...r,
        spec: {
          ...r.spec,
          ...(r.spec.affinity !== undefined && {
            affinity: prefixAffinity(cluster, r.spec.affinity),
          }),
          attributes: r.spec.attributes.map((a) => prefixAttribute(cluster, a)),
        },
      }
    case 'IPPool':
    case 'NetworkPolicy':
    case 'GlobalNetworkPolicy':
    case 'Tier':
    case 'NetworkSet':
    case 'GlobalNetworkSet':
    case 'RemoteClusterConfiguration':
    case 'RemoteClusterStatus':
    case 'Service':
    case 'Endpoints':
    case 'Secret':
      return r
    default:
      return assertNever(r, 'resource')
  }
}

/**
 * TEMPORARY shim until `@cattail/model` exports `prefixForCluster` (src/remote.ts, in progress):
 * the minimal remote prefix rules from DESIGN.md. Replace with a re-export once it lands.
 */
import type { Resource } from '@cattail/model'

const p = (cluster: string, s: string): string => `${cluster}/${s}`

/** Renames `r` as seen from the local cluster when it comes from remote `cluster`. */
export function prefixForCluster(cluster: string, r: Resource): Resource {
  switch (r.kind) {
    case 'WorkloadEndpoint':
    case 'HostEndpoint':
      return {
        ...r,
        spec: {
          ...r.spec,
          node: p(cluster, r.spec.node),
          profiles: r.spec.profiles.map((x) => p(cluster, x)),
        },
      } as Resource
    case 'Profile':
    case 'Node':
      return { ...r, metadata: { ...r.metadata, name: p(cluster, r.metadata.name) } }
    case 'IPAMBlock':
      return r.spec.affinity?.startsWith('host:') === true
        ? { ...r, spec: { ...r.spec, affinity: `host:${p(cluster, r.spec.affinity.slice(5))}` } }
        : r
    case 'IPPool':
    case 'NetworkPolicy':
    case 'GlobalNetworkPolicy':
    case 'Tier':
    case 'RemoteClusterConfiguration':
    case 'RemoteClusterStatus':
    case 'Service':
    case 'Endpoints':
    case 'Secret':
      return r
  }
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** Problem with an RCC name (lower-case alphanumerics and `-`, at most 253), or undefined. */
export function validateRemoteClusterName(name: string): string | undefined {
  if (name.length === 0 || name.length > 253 || !NAME_RE.test(name)) {
    return `name "${name}" must be lower-case alphanumerics and "-" (at most 253 characters)`
  }
  return undefined
}

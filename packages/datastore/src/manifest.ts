/**
 * The manifest (stored document) of a model resource: Calico kinds as `projectcalico.org/v3`
 * objects, Service/Endpoints/Secret as Kubernetes v1 objects (Secret data base64-encoded again).
 * `metadata.resourceVersion` is left out: stores assign their own. The etcd layout and the file
 * driver's tests and demo write these; `parseResource`/`fromKubernetes` read them back.
 */
import { assertNever } from '@cattail/common'
import { CALICO_API_VERSION, type Resource } from '@cattail/model'

/** A manifest as a plain JSON object. */
export type Manifest = Record<string, unknown>

/** The stored form of `r` (see the file comment). Throws for RemoteClusterStatus (never stored). */
export function toManifest(r: Resource): Manifest {
  const { resourceVersion: _rv, ...metadata } = r.metadata
  switch (r.kind) {
    case 'Secret': {
      const data: Record<string, string> = {}
      for (const [k, v] of Object.entries(r.spec.data)) {
        data[k] = Buffer.from(v, 'utf8').toString('base64')
      }
      return { apiVersion: 'v1', kind: 'Secret', metadata, data }
    }
    case 'Service':
      return { apiVersion: 'v1', kind: 'Service', metadata, spec: r.spec }
    case 'Endpoints':
      return { apiVersion: 'v1', kind: 'Endpoints', metadata, subsets: r.spec.subsets }
    case 'RemoteClusterStatus':
      throw new Error('RemoteClusterStatus is never stored')
    case 'WorkloadEndpoint':
    case 'HostEndpoint':
    case 'Profile':
    case 'Node':
    case 'IPPool':
    case 'IPAMBlock':
    case 'NetworkPolicy':
    case 'GlobalNetworkPolicy':
    case 'Tier':
    case 'NetworkSet':
    case 'GlobalNetworkSet':
    case 'RemoteClusterConfiguration':
      return { apiVersion: CALICO_API_VERSION, kind: r.kind, metadata, spec: r.spec }
    default:
      return assertNever(r, 'resource')
  }
}

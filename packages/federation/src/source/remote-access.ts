/**
 * How the controller reaches a remote cluster's Kubernetes API, from its RemoteClusterConfiguration
 * and access Secret, through the datastore's own RCC/Secret reader (`remoteDatastoreConfig`); no
 * second parser. A remote whose datastore is etcdv3 federates services only when its RCC (or
 * Secret) also gives Kubernetes access, as in Calico: the Kubernetes fields are then read on their
 * own. Otherwise the remote contributes no services, and its status says so. Pure; never throws.
 */
import { RCC_KUBE_FIELDS, remoteDatastoreConfig, type DatastoreConfig } from '@cattail/datastore'
import type { RemoteClusterConfiguration, Secret } from '@cattail/model'

/** Kubernetes access to a remote, or why there is none. */
export type RemoteAccess =
  | { readonly ok: true; readonly config: Extract<DatastoreConfig, { type: 'kubernetes' }> }
  | { readonly ok: false; readonly reason: string; readonly noServices: boolean }

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** The Kubernetes side of an etcdv3 RCC (or Secret), read as a `kubernetes` RCC; undefined if none. */
function kubeSideOf(
  rcc: RemoteClusterConfiguration,
  secret: Secret | undefined,
  secretsNs: string
): Extract<DatastoreConfig, { type: 'kubernetes' }> | undefined {
  const spec: unknown = (rcc as { spec?: unknown }).spec
  if (!isRecord(spec)) return undefined
  let res
  if (spec['clusterAccessSecret'] !== undefined && spec['clusterAccessSecret'] !== null) {
    const kubeconfig = secret?.spec.data['kubeconfig']
    if (secret === undefined || kubeconfig === undefined || kubeconfig === '') return undefined
    res = remoteDatastoreConfig(
      rcc,
      { ...secret, spec: { data: { datastoreType: 'kubernetes', kubeconfig } } },
      secretsNs
    )
  } else {
    const kube: Record<string, unknown> = { datastoreType: 'kubernetes' }
    for (const f of RCC_KUBE_FIELDS) if (spec[f] !== undefined) kube[f] = spec[f]
    if (Object.keys(kube).length === 1) return undefined
    res = remoteDatastoreConfig({ ...rcc, spec: kube }, undefined, secretsNs)
  }
  return res.ok && res.config.type === 'kubernetes' ? res.config : undefined
}

/** Kubernetes access for remote `rcc` (with the Secret it names, if found). */
export function remoteAccess(
  rcc: RemoteClusterConfiguration,
  secret: Secret | undefined,
  secretsNs: string
): RemoteAccess {
  const res = remoteDatastoreConfig(rcc, secret, secretsNs)
  if (!res.ok) return { ok: false, reason: res.reason, noServices: false }
  if (res.config.type === 'kubernetes') return { ok: true, config: res.config }
  const kube = kubeSideOf(rcc, secret, secretsNs)
  if (kube !== undefined) return { ok: true, config: kube }
  return {
    ok: false,
    reason: 'datastoreType etcdv3 without Kubernetes access (kubeconfig): contributes no services',
    noServices: true,
  }
}

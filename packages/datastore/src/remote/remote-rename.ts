/**
 * Re-keys and renames one update from remote cluster `<rcc>`: the key gains the `<rcc>/` cluster
 * segment (`b/WorkloadEndpoint/ns/name`) and the value is renamed by the model's prefix rules
 * (node names, profile ids `b/kns.<ns>`, block affinities `host:b/<node>` …). Updates of kinds the
 * remote was not asked for, or with keys that already name a cluster, are dropped. Pure.
 */
import {
  keyToString,
  parseKey,
  prefixForCluster,
  type KVUpdate,
  type ResourceKind,
} from '@cattail/model'

/** The local-stream form of remote update `u`, or undefined when it must be dropped. */
export function renameRemoteUpdate(
  cluster: string,
  u: KVUpdate,
  kinds: ReadonlySet<ResourceKind>
): KVUpdate | undefined {
  const k = parseKey(u.key)
  if (k === undefined || k.cluster !== undefined || !kinds.has(k.kind)) return undefined
  if (u.value !== undefined && u.value.kind !== k.kind) return undefined
  return {
    key: keyToString({ ...k, cluster }),
    value: u.value === undefined ? undefined : prefixForCluster(cluster, u.value),
    revision: u.revision,
  }
}

/**
 * One key scheme for every object: `[<cluster>/]<Kind>/[<namespace>/]<name>`.
 *
 * Local objects have no cluster segment; objects from remote cluster `b` start with `b/` (the RCC
 * name). Kinds are PascalCase from a fixed set and names and namespaces never contain `/`, so a
 * key string parses back unambiguously. Examples:
 *
 *   WorkloadEndpoint/default/node1-k8s-nginx-eth0      (local)
 *   cluster-b/WorkloadEndpoint/default/node1-k8s-nginx-eth0
 *   cluster-b/Node/node1                               (value's metadata.name is `cluster-b/node1`)
 *   RemoteClusterStatus/cluster-b                      (status of remote b, a local key)
 */
import { NAMESPACED_KINDS, RESOURCE_KINDS, type Resource, type ResourceKind } from './resources.js'

/** Identity of one object in the mesh. */
export interface ResourceKey {
  /** RCC name for remote objects; undefined for the local cluster. */
  readonly cluster?: string
  readonly kind: ResourceKind
  /** Set exactly for namespaced kinds. */
  readonly namespace?: string
  /** The object's own (unprefixed) name. */
  readonly name: string
}

const KIND_SET: ReadonlySet<string> = new Set(RESOURCE_KINDS)

/** True when `s` is a known kind name. */
export const isResourceKind = (s: string): s is ResourceKind => KIND_SET.has(s)

/** Renders a key as its canonical string. */
export function keyToString(k: ResourceKey): string {
  const parts: string[] = []
  if (k.cluster !== undefined) parts.push(k.cluster)
  parts.push(k.kind)
  if (k.namespace !== undefined) parts.push(k.namespace)
  parts.push(k.name)
  return parts.join('/')
}

/**
 * Parses a key string; returns undefined when it is not a valid key. By index, not split: every
 * update of a snapshot (tens of thousands) goes through it.
 */
export function parseKey(s: string): ResourceKey | undefined {
  const p1 = s.indexOf('/')
  if (p1 < 0) return undefined
  const first = s.slice(0, p1)
  let cluster: string | undefined
  let kind: string = first
  let rest = p1 + 1
  if (!isResourceKind(first)) {
    if (first === '') return undefined
    cluster = first
    const p2 = s.indexOf('/', rest)
    if (p2 < 0) return undefined
    kind = s.slice(rest, p2)
    rest = p2 + 1
  }
  if (!isResourceKind(kind)) return undefined
  const p3 = s.indexOf('/', rest)
  if (!NAMESPACED_KINDS.has(kind)) {
    if (p3 >= 0 || rest === s.length) return undefined
    const name = s.slice(rest)
    return cluster === undefined ? { kind, name } : { cluster, kind, name }
  }
  if (p3 < 0 || p3 === rest || p3 + 1 === s.length || s.indexOf('/', p3 + 1) >= 0) return undefined
  const namespace = s.slice(rest, p3)
  const name = s.slice(p3 + 1)
  return cluster === undefined ? { kind, namespace, name } : { cluster, kind, namespace, name }
}

/** The key of a local resource (its metadata name and namespace). */
export function keyOf(r: Resource, cluster?: string): ResourceKey {
  const namespaced = NAMESPACED_KINDS.has(r.kind)
  const base = { kind: r.kind, name: r.metadata.name }
  return {
    ...(cluster !== undefined && { cluster }),
    ...base,
    ...(namespaced && { namespace: r.metadata.namespace ?? 'default' }),
  }
}

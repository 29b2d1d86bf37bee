/**
 * Reads `metadata` of untrusted objects into the model's ObjectMeta, keeping only what cattail
 * uses (name, namespace, uid, resourceVersion, creationTimestamp, labels, annotations).
 */
import type { ObjectMeta } from '../resources.js'
import { fail, obj, optStr, optStringMap, resourceName, show } from './fields.js'

/** Options for {@link readMeta}. */
export interface ReadMetaOptions {
  /** The object lives in a namespace; `metadata.namespace` defaults to `default`. */
  readonly namespaced: boolean
  /** Keep `metadata.annotations` (Services and Endpoints need them; most kinds do not). */
  readonly keepAnnotations?: boolean
  /** Require a DNS-1123 subdomain name. @default false */
  readonly strictName?: boolean
}

/** Reads a timestamp that may be a string or (from @kubernetes/client-node) a Date. */
function timestamp(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined
  if (v instanceof Date) return v.toISOString()
  if (typeof v !== 'string') fail(field, `must be a timestamp, got ${show(v)}`)
  return v
}

/** Reads `metadata`; throws a FieldProblem (inside `checked`) when invalid. */
export function readMeta(v: unknown, opts: ReadMetaOptions): ObjectMeta {
  const m = obj(v, 'metadata', true)
  const name = resourceName(m['name'], 'metadata.name', opts.strictName ?? false)
  const namespace = opts.namespaced
    ? (optStr(m['namespace'], 'metadata.namespace') ?? 'default')
    : undefined
  if (namespace !== undefined) resourceName(namespace, 'metadata.namespace', true)
  const uid = optStr(m['uid'], 'metadata.uid')
  const resourceVersion = optStr(m['resourceVersion'], 'metadata.resourceVersion')
  const creationTimestamp = timestamp(m['creationTimestamp'], 'metadata.creationTimestamp')
  const labels = optStringMap(m['labels'], 'metadata.labels')
  const annotations =
    opts.keepAnnotations === true
      ? optStringMap(m['annotations'], 'metadata.annotations')
      : undefined
  return {
    name,
    ...(namespace !== undefined && { namespace }),
    ...(uid !== undefined && { uid }),
    ...(resourceVersion !== undefined && { resourceVersion }),
    ...(creationTimestamp !== undefined && { creationTimestamp }),
    ...(labels !== undefined && Object.keys(labels).length > 0 && { labels }),
    ...(annotations !== undefined && Object.keys(annotations).length > 0 && { annotations }),
  }
}

/** Best-effort `[<namespace>/]<name>` of an untrusted object, for error messages. */
export function describeName(v: unknown): string {
  if (typeof v !== 'object' || v === null) return '<unnamed>'
  const m = (v as { metadata?: unknown }).metadata
  if (typeof m !== 'object' || m === null) return '<unnamed>'
  const { name, namespace } = m as { name?: unknown; namespace?: unknown }
  const n = typeof name === 'string' && name !== '' ? name : '<unnamed>'
  return typeof namespace === 'string' && namespace !== '' ? `${namespace}/${n}` : n
}

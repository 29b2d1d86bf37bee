/**
 * Patch bodies the server accepts.
 *
 * - `application/merge-patch+json`: RFC 7386 JSON merge patch.
 * - `application/strategic-merge-patch+json`: treated as a JSON merge patch. Real strategic merge
 *   merges lists by key (containers by name …) and understands `$patch` directives; the objects
 *   cattail's tests patch have no such lists, so a merge patch is close enough (lists replace).
 * - `application/json-patch+json`: RFC 6902 (`add`, `remove`, `replace`, `test`).
 * - `application/apply-patch+yaml` (server-side apply): the applied object is merged into the
 *   live one (or created); there is no field ownership tracking.
 */
import { badRequest, ApiStatusError } from './status.js'

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

const isObject = (v: unknown): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** RFC 7386 merge: `null` deletes, objects merge recursively, everything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch
  const out: Record<string, Json> = isObject(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k] ?? null, v)
  }
  return out
}

const unescape = (s: string): string => s.replace(/~1/g, '/').replace(/~0/g, '~')

/** RFC 6902 JSON patch with add/remove/replace/test. Throws 422-ish errors on bad paths. */
export function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array')
  let doc = structuredClone(target)
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string')
      throw badRequest('invalid json patch operation')
    const op = raw['op']
    const parts = raw['path'].split('/').slice(1).map(unescape)
    if (parts.length === 0) {
      if (op === 'replace' || op === 'add') doc = raw['value'] ?? null
      continue
    }
    let parent: Json = doc
    for (const p of parts.slice(0, -1)) {
      const next: Json | undefined = Array.isArray(parent)
        ? parent[Number(p)]
        : isObject(parent)
          ? parent[p]
          : undefined
      if (next === undefined)
        throw new ApiStatusError(422, 'Invalid', `path not found: ${raw['path']}`)
      parent = next
    }
    const last = parts[parts.length - 1] ?? ''
    const value = raw['value'] ?? null
    if (Array.isArray(parent)) {
      const idx = last === '-' ? parent.length : Number(last)
      if (op === 'add') parent.splice(idx, 0, value)
      else if (op === 'remove') parent.splice(idx, 1)
      else if (op === 'replace') parent[idx] = value
      else if (op === 'test' && JSON.stringify(parent[idx]) !== JSON.stringify(value))
        throw new ApiStatusError(422, 'Invalid', `test failed at ${raw['path']}`)
    } else if (isObject(parent)) {
      if (op === 'add' || op === 'replace') parent[last] = value
      else if (op === 'remove') delete parent[last]
      else if (op === 'test' && JSON.stringify(parent[last]) !== JSON.stringify(value))
        throw new ApiStatusError(422, 'Invalid', `test failed at ${raw['path']}`)
    } else throw new ApiStatusError(422, 'Invalid', `path not found: ${raw['path']}`)
  }
  return doc
}

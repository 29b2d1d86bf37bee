/**
 * Maps a request path to discovery documents or to a resource request.
 *
 * Paths: `/version`, `/openapi/v2`, `/openapi/v3[/<gv>]`, `/api`, `/api/v1`, `/apis`, `/apis/<g>`, `/apis/<g>/<v>`, and below a group
 * version `[watch/][namespaces/<ns>/]<plural>[/<name>[/<subresource>]]`. Anything else is 404.
 */
import * as discovery from './discovery.js'
import { OPENAPI_V2_PROTOBUF, openApiGroupVersion, openApiRoot, openApiV2 } from './openapi.js'
import type { ResourceRequest } from './handlers.js'
import type { ResourceRegistry } from './served-resources.js'
import { ApiStatusError } from './status.js'

/** A routed request. */
export type Route =
  | { readonly kind: 'document'; readonly body: object }
  | { readonly kind: 'raw'; readonly contentType: string; readonly body: Buffer }
  | { readonly kind: 'resource'; readonly request: ResourceRequest }

const pageNotFound = (): ApiStatusError =>
  new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource')

/**
 * Routes `url` (path and query) to what `registry` serves now; `host` is the server address
 * reported by `/api`.
 */
export function route(url: URL, host: string, registry: ResourceRegistry): Route {
  const all = registry.all()
  const segs = url.pathname.split('/').filter((s) => s !== '')
  const doc = (body: object | undefined): Route => {
    if (body === undefined) throw pageNotFound()
    return { kind: 'document', body }
  }
  if (segs.length === 1 && segs[0] === 'version') return doc(discovery.VERSION_INFO)
  if (segs.length === 2 && segs[0] === 'openapi' && segs[1] === 'v2')
    return { kind: 'raw', contentType: OPENAPI_V2_PROTOBUF, body: openApiV2() }
  if (segs[0] === 'openapi' && segs[1] === 'v3')
    return doc(
      segs.length === 2 ? openApiRoot(all) : openApiGroupVersion(all, segs.slice(2).join('/'))
    )
  let group: string
  let version: string | undefined
  let rest: string[]
  if (segs[0] === 'api') {
    if (segs.length === 1) return doc(discovery.coreVersions(host))
    group = ''
    version = segs[1]
    rest = segs.slice(2)
  } else if (segs[0] === 'apis') {
    if (segs.length === 1) return doc(discovery.groupList(all))
    group = segs[1] ?? ''
    if (segs.length === 2) return doc(discovery.group(all, group))
    version = segs[2]
    rest = segs.slice(3)
  } else throw pageNotFound()
  if (version === undefined) throw pageNotFound()
  if (rest.length === 0) return doc(discovery.resourceList(all, group, version))

  let watch = false
  if (rest[0] === 'watch') {
    watch = true
    rest = rest.slice(1)
  }
  let namespace: string | undefined
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && rest[2] === 'status')
  ) {
    namespace = rest[1]
    rest = rest.slice(2)
  }
  const [plural = '', name, subresource, ...extra] = rest
  if (extra.length > 0) throw pageNotFound()
  const resource = registry.lookup(group, version, plural)
  if (resource === undefined) throw pageNotFound()
  if (!resource.namespaced) namespace = undefined
  return {
    kind: 'resource',
    request: { resource, namespace, name, subresource, query: url.searchParams, watch },
  }
}

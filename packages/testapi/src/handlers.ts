/**
 * REST verbs on one resource path: list, watch, get, create, update (PUT), patch, delete, and the
 * `/status` subresource. Each handler returns `[httpStatus, body]` or throws ApiStatusError;
 * watches write their own streaming response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parse as parseYaml } from 'yaml'
import { type Json, jsonPatch, mergePatch } from './patch.js'
import { PROTOBUF_MEDIA_TYPE, decodeProtobufBody } from './protobuf.js'
import { type ObjectMatcher, parseFieldSelector, parseLabelSelector } from './selectors.js'
import { type ServedResource, apiVersionOf } from './served-resources.js'
import { ApiStatusError, badRequest, expired, notFound } from './status.js'
import { type KubeObject, Store } from './store.js'
import type { WatchConfig, WatchHub } from './watch.js'

/** A parsed request against a resource. */
export interface ResourceRequest {
  readonly resource: ServedResource
  readonly namespace: string | undefined
  readonly name: string | undefined
  readonly subresource: string | undefined
  readonly query: URLSearchParams
  /** True for `?watch=true` or the legacy `/watch/` path prefix. */
  readonly watch: boolean
}

/** Verbs counted by the server. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete'

/** What the handler needs from the server. */
export interface HandlerContext {
  readonly store: Store
  readonly hub: WatchHub
  readonly watch: WatchConfig
  count(verb: Verb): void
}

/** A finished, non-streaming reply. */
export type Reply = readonly [status: number, body: unknown]

interface ContinueToken {
  readonly rv: number
  readonly after: string
}

/** Dispatches one request. Returns undefined when a watch took over the response. */
export async function handle(
  ctx: HandlerContext,
  r: ResourceRequest,
  req: IncomingMessage,
  res: ServerResponse
): Promise<Reply | undefined> {
  const method = req.method ?? 'GET'
  const resource = r.resource
  // `?dryRun=All` (kubectl --dry-run=server): the write runs on a throw-away copy of the store.
  const store = r.query.get('dryRun') === 'All' ? ctx.store.dryRunCopy() : ctx.store
  if (r.name === undefined) {
    if (
      method === 'GET' &&
      (r.watch || r.query.get('watch') === 'true' || r.query.get('watch') === '1')
    ) {
      ctx.count('watch')
      const timeout = r.query.get('timeoutSeconds')
      ctx.hub.serve(
        req,
        res,
        store,
        {
          resource,
          namespace: r.namespace,
          resourceVersion: r.query.get('resourceVersion') ?? undefined,
          allowBookmarks: r.query.get('allowWatchBookmarks') === 'true',
          timeoutSeconds: timeout === null ? undefined : Number(timeout),
          match: matcher(r.query),
        },
        ctx.watch
      )
      return undefined
    }
    if (method === 'GET') {
      ctx.count('list')
      return [200, list(store, r)]
    }
    if (method === 'POST') {
      ctx.count('create')
      return [201, store.create(resource, r.namespace, (await readBody(req)) as KubeObject)]
    }
    throw new ApiStatusError(
      405,
      'MethodNotAllowed',
      `the server does not allow this method on the requested resource`
    )
  }
  if (r.subresource !== undefined && (r.subresource !== 'status' || resource.status !== true))
    throw new ApiStatusError(404, 'NotFound', `the server could not find the requested resource`)
  const onlyStatus = r.subresource === 'status'
  const name = r.name
  switch (method) {
    case 'GET': {
      ctx.count('get')
      const o = store.get(resource, r.namespace, name)
      if (o === undefined) throw notFound(resource, name)
      return [200, o]
    }
    case 'PUT': {
      ctx.count('update')
      return [
        200,
        store.update(resource, r.namespace, name, (await readBody(req)) as KubeObject, onlyStatus),
      ]
    }
    case 'PATCH': {
      ctx.count('patch')
      return await patch(store, r, name, req, onlyStatus)
    }
    case 'DELETE': {
      ctx.count('delete')
      const opts = (await readBody(req, true)) as
        { preconditions?: { resourceVersion?: string } } | undefined
      const want = opts?.preconditions?.resourceVersion
      const cur = store.get(resource, r.namespace, name)
      if (cur === undefined) throw notFound(resource, name)
      if (want !== undefined && want !== cur.metadata.resourceVersion)
        throw new ApiStatusError(
          409,
          'Conflict',
          `Precondition failed: ResourceVersion in precondition: ${want}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`
        )
      return [200, store.delete(resource, r.namespace, name)]
    }
    default:
      throw new ApiStatusError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`
      )
  }
}

function matcher(q: URLSearchParams): ObjectMatcher {
  const labels = parseLabelSelector(q.get('labelSelector'))
  const fields = parseFieldSelector(q.get('fieldSelector'))
  return (o) => labels(o) && fields(o)
}

/**
 * A list at the current revision, filtered, then paged. A `continue` page is served from the
 * current state after the last key of the previous page, reporting the first page's revision
 * (kube-apiserver serves it from that exact snapshot; a client that watches from the list's
 * revision converges either way). A token older than the history window gets 410 Expired.
 */
function list(store: Store, r: ResourceRequest): object {
  const match = matcher(r.query)
  let rv = store.revision
  let after: string | undefined
  const cont = r.query.get('continue')
  if (cont !== null && cont !== '') {
    let tok: ContinueToken
    try {
      tok = JSON.parse(Buffer.from(cont, 'base64url').toString()) as ContinueToken
    } catch {
      throw badRequest('invalid continue token')
    }
    if (typeof tok.rv !== 'number' || typeof tok.after !== 'string')
      throw badRequest('invalid continue token')
    if (tok.rv < store.compactedRevision)
      throw expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
      )
    rv = tok.rv
    after = tok.after
  }
  let items = store.list(r.resource, r.namespace, after).filter(match)
  const limit = Number(r.query.get('limit') ?? '0')
  let next: string | undefined
  let remaining: number | undefined
  if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
    remaining = items.length - limit
    items = items.slice(0, limit)
    const last = items[items.length - 1]
    if (last !== undefined)
      next = Buffer.from(
        JSON.stringify({ rv, after: Store.keyOf(last) } satisfies ContinueToken)
      ).toString('base64url')
  }
  return {
    kind: `${r.resource.kind}List`,
    apiVersion: apiVersionOf(r.resource),
    metadata: {
      resourceVersion: String(rv),
      ...(next !== undefined && { continue: next, remainingItemCount: remaining }),
    },
    items,
  }
}

async function patch(
  store: Store,
  r: ResourceRequest,
  name: string,
  req: IncomingMessage,
  onlyStatus: boolean
): Promise<Reply> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? ''
  const body = (await readBody(req)) as Json
  const cur = store.get(r.resource, r.namespace, name)
  if (type === 'application/apply-patch+yaml') {
    if (cur === undefined)
      return [201, store.create(r.resource, r.namespace, body as unknown as KubeObject)]
    const merged = mergePatch(stripRv(cur), body) as unknown as KubeObject
    return [200, store.update(r.resource, r.namespace, name, merged, onlyStatus)]
  }
  if (cur === undefined) throw notFound(r.resource, name)
  let next: Json
  switch (type) {
    case 'application/merge-patch+json':
    case 'application/strategic-merge-patch+json':
      next = mergePatch(cur as unknown as Json, body)
      break
    case 'application/json-patch+json':
      next = jsonPatch(cur as unknown as Json, body)
      break
    default:
      throw new ApiStatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`
      )
  }
  return [
    200,
    store.update(r.resource, r.namespace, name, next as unknown as KubeObject, onlyStatus),
  ]
}

/** The live object without its resourceVersion, so an apply never conflicts. */
function stripRv(o: KubeObject): Json {
  const { resourceVersion: _rv, ...meta } = o.metadata
  return { ...o, metadata: meta } as unknown as Json
}

/**
 * Reads a JSON, YAML or protobuf (`k8s\0` envelope) body; `optional` allows an empty one
 * (→ undefined).
 */
export async function readBody(req: IncomingMessage, optional = false): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const buf = Buffer.concat(chunks)
  const type = req.headers['content-type'] ?? ''
  if (type.startsWith(PROTOBUF_MEDIA_TYPE) && buf.length > 0) return decodeProtobufBody(buf)
  const text = buf.toString('utf8')
  if (text.trim() === '') {
    if (optional) return undefined
    throw badRequest('the request body is empty')
  }
  try {
    return type.includes('yaml') ? parseYaml(text) : JSON.parse(text)
  } catch (err) {
    throw badRequest(
      `could not decode the request body: ${err instanceof Error ? err.message : String(err)}`
    )
  }
}

/**
 * Watch streams: `?watch=true` on a collection.
 *
 * Overview:
 * ```
 *  client ── GET …/pods?watch=true&resourceVersion=R&allowWatchBookmarks=true&timeoutSeconds=T
 *  server ── 200, chunked, one JSON line per event:
 *            {"type":"ADDED|MODIFIED|DELETED","object":{…}}   history after R, then live
 *            {"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"N"}}}   every bookmarkIntervalMs
 *            {"type":"ERROR","object":{Status 410 Expired}}   when R is older than the history
 *         ── end of stream after T seconds, on dropWatches(), or on stop() (socket destroyed)
 * ```
 * Implementation: history replay and subscription happen in the same tick, so no write can fall
 * between them. Filters (namespace, label and field selectors) look at the object before and after
 * a write, so an edit that makes an object (stop) match turns into ADDED (DELETED), as in
 * kube-apiserver. Without `resourceVersion` (or with `0`) the stream starts with a synthetic
 * ADDED per existing object.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ObjectMatcher } from './selectors.js'
import { type ServedResource, apiVersionOf, resourceId } from './served-resources.js'
import { ApiStatusError, badRequest } from './status.js'
import type { KubeObject, Store, StoreEvent } from './store.js'

/** Watch behaviour knobs. */
export interface WatchConfig {
  /** Interval of BOOKMARK events for watches that allow them. */
  readonly bookmarkIntervalMs: number
  /** How a too-old resourceVersion is reported: an ERROR event (like kube-apiserver) or HTTP 410. */
  readonly expiredAs: 'event' | 'http'
  /** Server-side timeout when the client sends no `timeoutSeconds`; 0 = none. */
  readonly defaultTimeoutSeconds: number
}

/** What one watch request asks for. */
export interface WatchRequest {
  readonly resource: ServedResource
  readonly namespace: string | undefined
  readonly resourceVersion: string | undefined
  readonly allowBookmarks: boolean
  readonly timeoutSeconds: number | undefined
  readonly match: ObjectMatcher
}

type EventLine = { readonly type: string; readonly object: unknown }

/** Keeps the open watch streams so they can be dropped together. */
export class WatchHub {
  readonly #open = new Set<ServerResponse>()

  /** Number of open watch streams. */
  get size(): number {
    return this.#open.size
  }

  /** Ends every open watch cleanly (as a server-side timeout would). */
  endAll(): void {
    for (const res of this.#open) res.end()
    this.#open.clear()
  }

  /** Serves one watch. Throws ApiStatusError before any byte is written when the request is bad. */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    store: Store,
    w: WatchRequest,
    cfg: WatchConfig
  ): void {
    const id = resourceId(w.resource)
    const visible = (o: KubeObject | undefined): boolean =>
      o !== undefined &&
      (w.namespace === undefined || o.metadata.namespace === w.namespace) &&
      w.match(o)
    const toLine = (e: StoreEvent): EventLine | undefined => {
      if (e.resource !== id) return undefined
      const now = visible(e.object)
      if (e.type !== 'MODIFIED') return now ? { type: e.type, object: e.object } : undefined
      const before = visible(e.previous)
      if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: e.object }
      return before ? { type: 'DELETED', object: e.object } : undefined
    }

    let backlog: EventLine[]
    const rvParam = w.resourceVersion
    if (rvParam === undefined || rvParam === '' || rvParam === '0') {
      backlog = store
        .list(w.resource, w.namespace)
        .filter((o) => w.match(o))
        .map((object) => ({ type: 'ADDED', object }))
    } else {
      const from = Number(rvParam)
      if (!Number.isInteger(from) || from < 0)
        throw badRequest(`invalid resource version: ${rvParam}`)
      try {
        backlog = store.eventsSince(from).flatMap((e) => toLine(e) ?? [])
      } catch (err) {
        if (!(err instanceof ApiStatusError) || err.code !== 410 || cfg.expiredAs === 'http')
          throw err
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ type: 'ERROR', object: err.toStatus() }) + '\n')
        return
      }
    }

    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' })
    res.flushHeaders()
    const send = (l: EventLine): void => {
      if (!res.writableEnded) res.write(JSON.stringify(l) + '\n')
    }
    for (const l of backlog) send(l)
    const unsubscribe = store.subscribe((e) => {
      const l = toLine(e)
      if (l !== undefined) send(l)
    })
    this.#open.add(res)

    const timers: NodeJS.Timeout[] = []
    if (w.allowBookmarks)
      timers.push(
        setInterval(() => {
          send({
            type: 'BOOKMARK',
            object: {
              kind: w.resource.kind,
              apiVersion: apiVersionOf(w.resource),
              metadata: { resourceVersion: String(store.revision) },
            },
          })
        }, cfg.bookmarkIntervalMs)
      )
    const timeoutS = w.timeoutSeconds ?? cfg.defaultTimeoutSeconds
    if (timeoutS > 0) timers.push(setTimeout(() => res.end(), timeoutS * 1000))

    const cleanup = (): void => {
      unsubscribe()
      for (const t of timers) clearTimeout(t)
      this.#open.delete(res)
    }
    res.on('close', cleanup)
    res.on('finish', cleanup)
    req.on('close', cleanup)
  }
}

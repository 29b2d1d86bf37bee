/**
 * Reflector: keeps one API resource (e.g. all pods) mirrored through list + watch.
 *
 * Overview:
 * ```
 *   ┌──────────────► list (limit/continue pages) ──► onList(items, rv)
 *   │                       │
 *   │ 410 Expired           ▼
 *   ├──────────── watch ?resourceVersion=rv&allowWatchBookmarks=true&timeoutSeconds=300..600
 *   │                 │ ADDED/MODIFIED/DELETED ──► onEvent; rv = object's resourceVersion
 *   │                 │ BOOKMARK ──► rv = bookmark's resourceVersion
 *   │                 │ stream ends (server timeout) ──► watch again from rv (no relist)
 *   │                 │ nothing for inactivityTimeoutMs ──► abort, watch again from rv
 *   │                 └ network/HTTP error ──► onError, backoff, watch again from rv
 *   └─────────────────┘
 * ```
 * Implementation: one async loop per reflector, cancelled by an AbortSignal. `onHealthy` fires
 * when a list succeeded or a watch got its 200, so the owner can tell "connected again".
 * A stream that ends within `minWatchDurationMs` without delivering anything counts towards the
 * backoff, so a server that closes watches at once cannot make us spin.
 *
 * Why not client-node's informer (makeInformer): it sends no bookmarks or server timeouts, so
 * in 2.x (which added a reconnect backoff and a 30 s inactivity abort) quiet watches reconnect
 * every 30 s; 1.x had neither and stopped for good after a network error (reference/deps.md
 * §2.3). Our own loop keeps those choices ours across client-node releases.
 */
import type { Logger } from '@cattail/common'
import { Backoff, type BackoffConfig, assertNever, errorMessage, sleep } from '@cattail/common'
import { KubeApiError, isGone } from './errors.js'
import type { KubeApi } from './kube-api.js'

/** Tuning of every reflector. */
export interface ReflectorConfig {
  /** Items per list page (`limit`). @default 500 */
  readonly pageSize: number
  /** Watch `timeoutSeconds` is drawn uniformly from [min, max] per watch. @default 300 */
  readonly watchTimeoutMinS: number
  /** @default 600 */
  readonly watchTimeoutMaxS: number
  /** No event or bookmark for this long → abort and re-watch. @default 150000 */
  readonly inactivityTimeoutMs: number
  /** A watch that ends sooner than this without events counts as a failure. @default 1000 */
  readonly minWatchDurationMs: number
  /** Timeout of each list page request. @default 30000 */
  readonly requestTimeoutMs: number
  /** Delays between retries after errors. */
  readonly backoff: BackoffConfig
}

/** Defaults of {@link ReflectorConfig}. */
export const DEFAULT_REFLECTOR_CONFIG: ReflectorConfig = {
  pageSize: 500,
  watchTimeoutMinS: 300,
  watchTimeoutMaxS: 600,
  inactivityTimeoutMs: 150_000,
  minWatchDurationMs: 1000,
  requestTimeoutMs: 30_000,
  backoff: { initialMs: 200, maxMs: 10_000, factor: 2, jitter: 0.2 },
}

/** A raw Kubernetes object as JSON. */
export interface RawObject {
  readonly metadata?: {
    readonly name?: string
    readonly namespace?: string
    readonly resourceVersion?: string
  }
  readonly [k: string]: unknown
}

/** Watch event types that change state. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED'

/** What a reflector reports to its owner. Calls never overlap; they must not throw. */
export interface ReflectorHandler {
  /** A complete listing at `revision` (initial list or relist). */
  onList(items: readonly RawObject[], revision: string): void
  /** One watch event. */
  onEvent(type: ChangeType, obj: RawObject): void
  /** A list succeeded or a watch was established. */
  onHealthy(): void
  /** A list or watch failed; the reflector retries by itself. */
  onError(err: unknown, what: string): void
}

type WatchOutcome =
  | { readonly kind: 'ended'; readonly revision: string; readonly events: number }
  | { readonly kind: 'expired' }
  | { readonly kind: 'aborted' }

interface ListBody {
  metadata?: { resourceVersion?: string; continue?: string }
  items?: RawObject[]
}

/** Lists then watches one collection path (e.g. `/api/v1/pods`). */
export class Reflector {
  readonly #backoff: Backoff
  /** Relists so far (initial list included). */
  lists = 0
  /** Watches opened so far. */
  watches = 0

  constructor(
    /** Collection path below the server URL, e.g. `/apis/crd.projectcalico.org/v1/ippools`. */
    readonly path: string,
    private readonly api: KubeApi,
    private readonly cfg: ReflectorConfig,
    private readonly handler: ReflectorHandler,
    private readonly log: Logger
  ) {
    this.#backoff = new Backoff(cfg.backoff)
  }

  /** Runs until `signal` aborts. Never rejects for API errors (they go to `onError`). */
  async run(signal: AbortSignal): Promise<void> {
    let rv: string | undefined
    while (!signal.aborted) {
      let what = rv === undefined ? 'list' : 'watch'
      try {
        if (rv === undefined) {
          const listed = await this.#list(signal)
          if (signal.aborted) return
          rv = listed.revision
          this.lists++
          this.handler.onList(listed.items, rv)
          this.handler.onHealthy()
        }
        what = 'watch'
        const startedMs = Date.now()
        const out = await this.#watchOnce(rv, signal)
        switch (out.kind) {
          case 'aborted':
            return
          case 'expired':
            this.log.info({ rv }, 'watch expired; relisting')
            rv = undefined
            // A server that expires every fresh list at once must not make us spin.
            if (Date.now() - startedMs < this.cfg.minWatchDurationMs)
              if (!(await sleep(this.#backoff.next(), signal))) return
            break
          case 'ended':
            rv = out.revision
            if (out.events === 0 && Date.now() - startedMs < this.cfg.minWatchDurationMs) {
              this.log.debug({ rv }, 'watch ended at once; backing off')
              if (!(await sleep(this.#backoff.next(), signal))) return
            } else this.#backoff.reset()
            break
          default:
            assertNever(out, 'watch outcome')
        }
      } catch (err) {
        if (signal.aborted) return
        if (isGone(err)) {
          rv = undefined // a list continue token or watch start that is too old: relist
          this.log.info({ err }, 'resource version expired; relisting')
          if (!(await sleep(this.#backoff.next(), signal))) return
          continue
        }
        const delayMs = this.#backoff.next()
        this.log.warn({ err, what, delayMs }, 'list/watch failed; retrying')
        this.handler.onError(err, what)
        if (!(await sleep(delayMs, signal))) return
      }
    }
  }

  async #list(signal: AbortSignal): Promise<{ items: RawObject[]; revision: string }> {
    const items: RawObject[] = []
    let revision: string | undefined
    let cont: string | undefined
    do {
      const q = new URLSearchParams({ limit: String(this.cfg.pageSize) })
      if (cont !== undefined) q.set('continue', cont)
      const body = (await this.api.getJson(`${this.path}?${q.toString()}`, signal)) as ListBody
      if (typeof body !== 'object' || body === null || !Array.isArray(body.items))
        throw new Error(`list ${this.path}: the answer is not a list`)
      revision ??= body.metadata?.resourceVersion
      for (const item of body.items) items.push(item)
      cont = body.metadata?.continue || undefined
    } while (cont !== undefined)
    if (revision === undefined || revision === '')
      throw new Error(`list ${this.path}: the answer has no resourceVersion`)
    return { items, revision }
  }

  #watchOnce(rv: string, signal: AbortSignal): Promise<WatchOutcome> {
    const timeoutS = Math.round(
      this.cfg.watchTimeoutMinS +
        Math.random() * (this.cfg.watchTimeoutMaxS - this.cfg.watchTimeoutMinS)
    )
    this.watches++
    return new Promise<WatchOutcome>((resolve, reject) => {
      let revision = rv
      let events = 0
      let settled = false
      let controller: AbortController | undefined
      let idle: NodeJS.Timeout | undefined
      const finish = (fn: () => void): void => {
        if (settled) return
        settled = true
        clearTimeout(idle)
        signal.removeEventListener('abort', onAbort)
        controller?.abort()
        fn()
      }
      const arm = (): void => {
        clearTimeout(idle)
        idle = setTimeout(() => {
          this.log.info({ rv: revision }, 'watch inactive; restarting it')
          finish(() => resolve({ kind: 'ended', revision, events: 1 }))
        }, this.cfg.inactivityTimeoutMs)
      }
      const onAbort = (): void => finish(() => resolve({ kind: 'aborted' }))
      signal.addEventListener('abort', onAbort)
      arm()
      const onLine = (type: string, obj: unknown): void => {
        if (settled) return
        arm()
        const o = (obj ?? {}) as RawObject & { code?: unknown; reason?: unknown; message?: unknown }
        switch (type) {
          case 'ADDED':
          case 'MODIFIED':
          case 'DELETED':
            events++
            revision = o.metadata?.resourceVersion ?? revision
            this.handler.onEvent(type, o)
            return
          case 'BOOKMARK':
            revision = o.metadata?.resourceVersion ?? revision
            return
          case 'ERROR':
            if (o.code === 410) return finish(() => resolve({ kind: 'expired' }))
            return finish(() =>
              reject(
                new KubeApiError(
                  typeof o.code === 'number' ? o.code : 500,
                  typeof o.reason === 'string' ? o.reason : 'Error',
                  typeof o.message === 'string' ? o.message : 'watch error event'
                )
              )
            )
          default:
            this.log.warn({ type }, 'unknown watch event type ignored')
        }
      }
      const onDone = (err: unknown): void => {
        if (err === null || err === undefined)
          return finish(() => resolve({ kind: 'ended', revision, events }))
        if (isGone(err)) return finish(() => resolve({ kind: 'expired' }))
        const code = (err as { statusCode?: unknown }).statusCode
        finish(() =>
          reject(
            typeof code === 'number'
              ? new KubeApiError(code, errorMessage(err), `watch ${this.path}`)
              : err instanceof Error
                ? err
                : new Error(errorMessage(err))
          )
        )
      }
      this.api.watcher
        .watch(
          this.path,
          { resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: timeoutS },
          onLine,
          onDone
        )
        .then(
          (c) => {
            controller = c
            if (settled) c.abort()
            else this.handler.onHealthy()
          },
          (err: unknown) =>
            finish(() => reject(err instanceof Error ? err : new Error(String(err))))
        )
    })
  }
}

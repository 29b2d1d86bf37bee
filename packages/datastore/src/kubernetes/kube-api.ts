/**
 * The two calls the reflectors make: a GET returning JSON (paged lists) and a watch stream.
 *
 * Lists use node:http(s) with the options client-node derives from the kubeconfig
 * (`applyToHTTPSOptions`: CA, client certificate, bearer token, skip-verify), so every resource,
 * core or custom, is one code path and the objects stay raw JSON for `fromKubernetes` (the typed
 * CoreV1Api would turn them into classes with Date fields). Watches use client-node's `Watch`.
 *
 * client-node 2.x's `Watch` aborts a stream after 30 s without data (its private
 * `requestTimeoutMs`). A real API server sends bookmarks about once a minute, so quiet watches
 * would be cut (as errors) every 30 s; the reflector has its own inactivity timer, so the Watch's
 * is set beyond it (`watchIdleTimeoutMs`) and the reflector decides.
 */
import { request as httpRequest } from 'node:http'
import { type RequestOptions, request as httpsRequest } from 'node:https'
import { type KubeConfig, Watch } from '@kubernetes/client-node'
import { KubeApiError } from './errors.js'

/** Reads one JSON document, with a per-request timeout. */
export class KubeApi {
  readonly #watch: Watch
  /**
   * @param kc - the loaded kubeconfig
   * @param requestTimeoutMs - timeout of each GET
   * @param watchIdleTimeoutMs - client-node's own watch connect/idle timeout (keep it above the
   *   reflector's inactivity timeout)
   */
  constructor(
    private readonly kc: KubeConfig,
    private readonly requestTimeoutMs: number,
    watchIdleTimeoutMs?: number
  ) {
    this.#watch = new Watch(kc)
    if (watchIdleTimeoutMs !== undefined) {
      const w = this.#watch as unknown as { requestTimeoutMs?: unknown }
      if (typeof w.requestTimeoutMs === 'number') w.requestTimeoutMs = watchIdleTimeoutMs
    }
  }

  /** client-node's watch helper for this kubeconfig. */
  get watcher(): Watch {
    return this.#watch
  }

  /** GETs `path` (with query) below the server URL; rejects with KubeApiError on non-200. */
  async getJson(path: string, signal: AbortSignal): Promise<unknown> {
    const cluster = this.kc.getCurrentCluster()
    if (cluster === null) throw new Error('no current cluster')
    const url = new URL(cluster.server.replace(/\/+$/, '') + path)
    const opts: RequestOptions = {}
    await this.kc.applyToHTTPSOptions(opts)
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest
    return await new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          ...opts,
          method: 'GET',
          signal,
          headers: { ...opts.headers, Accept: 'application/json' },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            const status = res.statusCode ?? 0
            let body: unknown
            try {
              body = JSON.parse(text)
            } catch (err) {
              if (status === 200)
                return reject(new Error(`invalid JSON from ${url.pathname}`, { cause: err }))
            }
            if (status === 200) return resolve(body)
            const st = (body ?? {}) as { reason?: unknown; message?: unknown }
            reject(
              new KubeApiError(
                status,
                typeof st.reason === 'string' ? st.reason : (res.statusMessage ?? ''),
                typeof st.message === 'string' ? st.message : `GET ${url.pathname}`
              )
            )
          })
        }
      )
      req.setTimeout(this.requestTimeoutMs, () =>
        req.destroy(new Error(`GET ${url.pathname}: no answer within ${this.requestTimeoutMs} ms`))
      )
      req.on('error', reject)
      req.end()
    })
  }
}

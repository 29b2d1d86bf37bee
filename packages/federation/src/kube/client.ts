/**
 * The few Kubernetes calls the controller makes beyond list+watch: GET, POST, PUT and DELETE of
 * one JSON object, answered as `{ status, body }` (never thrown for an HTTP status, so callers
 * branch on 404/409). Requests use node:http(s) with the options client-node derives from the
 * kubeconfig (CA, client certificate, bearer token), like the datastore's KubeApi, which this
 * client also hands out for reflectors.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, type RequestOptions, request as httpsRequest } from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'
import { KubeApi } from '@cattail/datastore'

/** An HTTP answer with its JSON body (undefined when it was not JSON). */
export interface KubeReply {
  readonly status: number
  readonly body: unknown
}

/** Write and read calls on one cluster. */
export class KubeClient {
  /** The datastore's read API (for reflectors) over the same kubeconfig. */
  readonly api: KubeApi
  /** Kept-alive connections: one TLS handshake per connection, not per write. */
  readonly #agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
  }

  constructor(
    private readonly kc: KubeConfig,
    private readonly timeoutMs: number
  ) {
    this.api = new KubeApi(kc, timeoutMs)
  }

  /** Closes idle kept-alive connections. */
  close(): void {
    this.#agents.http.destroy()
    this.#agents.https.destroy()
  }

  /** Sends `method path` with an optional JSON body. Rejects only on network errors and timeouts. */
  async request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown
  ): Promise<KubeReply> {
    const cluster = this.kc.getCurrentCluster()
    if (cluster === null) throw new Error('no current cluster')
    const url = new URL(cluster.server.replace(/\/+$/, '') + path)
    const opts: RequestOptions = {}
    await this.kc.applyToHTTPSOptions(opts)
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest
    const payload = body === undefined ? undefined : JSON.stringify(body)
    return await new Promise<KubeReply>((resolve, reject) => {
      const req = send(
        url,
        {
          ...opts,
          agent: opts.agent ?? (url.protocol === 'http:' ? this.#agents.http : this.#agents.https),
          method,
          headers: {
            ...opts.headers,
            Accept: 'application/json',
            ...(payload !== undefined && { 'Content-Type': 'application/json' }),
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            let parsed: unknown
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'))
            } catch {
              parsed = undefined
            }
            resolve({ status: res.statusCode ?? 0, body: parsed })
          })
        }
      )
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(new Error(`${method} ${url.pathname}: no answer within ${this.timeoutMs} ms`))
      )
      req.on('error', reject)
      req.end(payload)
    })
  }
}

/** The `message` of a Status body, or the HTTP status. */
export function replyMessage(r: KubeReply): string {
  const m = (r.body as { message?: unknown } | undefined)?.message
  return typeof m === 'string' ? `${r.status}: ${m}` : `HTTP ${r.status}`
}

/**
 * A tiny plain-HTTP endpoint for health probes and Prometheus scrapes: a fixed table of GET
 * routes, each producing a status, content type and body; 404 for anything else. Every daemon's
 * `/liveness`, `/readiness` and `/metrics` servers are this one class with different routes.
 */
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AlreadyStartedError, MeshError } from './errors.js'
import type { Startable } from './lifecycle.js'
import type { Logger } from './logger.js'

/** What a route answers. */
export interface HttpAnswer {
  readonly status: number
  readonly contentType: string
  readonly body: string
}

/** A route handler; a rejection becomes a 500 and an error log line. */
export type HttpRoute = () => HttpAnswer | Promise<HttpAnswer>

/** Where an endpoint listens. */
export interface HttpEndpointConfig {
  readonly host: string
  /** 0 picks a free port (tests). */
  readonly port: number
}

/** An endpoint could not bind its address. */
export class ListenError extends MeshError {
  readonly code = 'ERR_LISTEN'
  constructor(
    readonly what: string,
    readonly host: string,
    readonly port: number,
    cause: unknown
  ) {
    super(`${what}: cannot listen on ${host}:${port}`, { cause })
  }
}

/** Serves `routes` (path → handler) on `cfg.host:cfg.port`. */
export class HttpEndpoint implements Startable {
  readonly #log: Logger
  #server: Server | undefined

  /**
   * @param name what this endpoint is, for logs and errors (`health`, `metrics`)
   */
  constructor(
    private readonly name: string,
    private readonly cfg: HttpEndpointConfig,
    private readonly routes: Readonly<Record<string, HttpRoute>>,
    log: Logger
  ) {
    this.#log = log.child({ component: name })
  }

  /** The bound port (after start), else 0. */
  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0
  }

  /** Resolves once listening; rejects with ListenError when the address cannot be bound. */
  async start(): Promise<void> {
    if (this.#server !== undefined) throw new AlreadyStartedError(`${this.name} server`)
    const server = createServer((req, res) => {
      const route = this.routes[(req.url ?? '/').split('?')[0] ?? '/']
      if (req.method !== 'GET' || route === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
        return
      }
      Promise.resolve()
        .then(route)
        .then(
          (a) => res.writeHead(a.status, { 'content-type': a.contentType }).end(a.body),
          (err: unknown) => {
            this.#log.error({ err, path: req.url }, 'http handler failed')
            res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n')
          }
        )
    })
    server.listen(this.cfg.port, this.cfg.host)
    try {
      await once(server, 'listening')
    } catch (err) {
      throw new ListenError(this.name, this.cfg.host, this.cfg.port, err)
    }
    this.#server = server
    this.#log.info({ host: this.cfg.host, port: this.port }, 'http endpoint listening')
  }

  /** Closes the listener and every open connection. Idempotent. */
  async stop(): Promise<void> {
    const s = this.#server
    if (s === undefined) return
    this.#server = undefined
    s.closeAllConnections()
    await new Promise<void>((resolve) => s.close(() => resolve()))
  }
}

/** A `/metrics` route over anything shaped like a prom-client Registry. */
export function metricsRoute(registry: {
  metrics(): Promise<string>
  readonly contentType: string
}): HttpRoute {
  return async () => ({
    status: 200,
    contentType: registry.contentType,
    body: await registry.metrics(),
  })
}

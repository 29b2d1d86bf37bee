/**
 * Serves `GET /metrics` (Prometheus text format) from a {@link CacheMetrics} registry on its own port.
 */
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { AlreadyStartedError, type Logger, type Startable } from '@cattail/common'
import { ListenError } from '../errors.js'
import type { CacheMetrics } from './cache-metrics.js'

/** Where the metrics server listens. */
export interface MetricsServerConfig {
  /** Listen address. @default '0.0.0.0' */
  readonly host: string
  /** Listen port; 0 picks a free one (tests). @default 9093 */
  readonly port: number
}

/** HTTP endpoint for Prometheus. */
export class MetricsServer implements Startable {
  readonly #log: Logger
  #server: Server | undefined

  constructor(
    private readonly cfg: MetricsServerConfig,
    private readonly metrics: CacheMetrics,
    log: Logger
  ) {
    this.#log = log.child({ component: 'metrics' })
  }

  /** The bound port (after start). */
  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0
  }

  async start(): Promise<void> {
    if (this.#server !== undefined) throw new AlreadyStartedError('metrics server')
    const server = createServer((req, res) => {
      if ((req.url ?? '/').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
        return
      }
      this.metrics.exposition().then(
        (body) => {
          res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(body)
        },
        (err: unknown) => {
          this.#log.error({ err }, 'metrics exposition failed')
          res.writeHead(500, { 'content-type': 'text/plain' }).end('exposition failed\n')
        }
      )
    })
    server.listen(this.cfg.port, this.cfg.host)
    try {
      await once(server, 'listening')
    } catch (err) {
      throw new ListenError('metrics', this.cfg.host, this.cfg.port, err)
    }
    this.#server = server
    this.#log.info({ host: this.cfg.host, port: this.port }, 'metrics server listening')
  }

  async stop(): Promise<void> {
    const s = this.#server
    if (s === undefined) return
    this.#server = undefined
    s.closeAllConnections()
    await new Promise<void>((resolve) => s.close(() => resolve()))
  }
}

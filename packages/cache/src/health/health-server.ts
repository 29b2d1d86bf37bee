/**
 * `/liveness` and `/readiness` over plain HTTP (Typha: port 9098). 200 when good, 503 when bad,
 * each with a small text body listing the reporters.
 */
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { AlreadyStartedError, type Logger, type Startable } from '@cattail/common'
import { ListenError } from '../errors.js'
import { renderHealthText, type HealthAggregator } from './health-aggregator.js'

/** Where the health server listens. */
export interface HealthServerConfig {
  /** Listen address. @default '0.0.0.0' */
  readonly host: string
  /** Listen port; 0 picks a free one (tests). @default 9098 */
  readonly port: number
}

/** Serves the aggregator's state. */
export class HealthServer implements Startable {
  readonly #log: Logger
  #server: Server | undefined
  #lastLogged: string | undefined

  constructor(
    private readonly cfg: HealthServerConfig,
    private readonly health: HealthAggregator,
    log: Logger
  ) {
    this.#log = log.child({ component: 'health' })
  }

  /** The bound port (after start). */
  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0
  }

  async start(): Promise<void> {
    if (this.#server !== undefined) throw new AlreadyStartedError('health server')
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]
      const quality = path === '/liveness' ? 'live' : path === '/readiness' ? 'ready' : undefined
      if (quality === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
        return
      }
      const s = this.health.summary()
      const ok = quality === 'live' ? s.live : s.ready
      const state = `live=${s.live} ready=${s.ready}`
      if (state !== this.#lastLogged) {
        this.#lastLogged = state
        this.#log.info({ live: s.live, ready: s.ready }, 'overall health status changed')
      }
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' })
        .end(renderHealthText(s, quality))
    })
    server.listen(this.cfg.port, this.cfg.host)
    try {
      await once(server, 'listening')
    } catch (err) {
      throw new ListenError('health', this.cfg.host, this.cfg.port, err)
    }
    this.#server = server
    this.#log.info({ host: this.cfg.host, port: this.port }, 'health server listening')
  }

  async stop(): Promise<void> {
    const s = this.#server
    if (s === undefined) return
    this.#server = undefined
    s.closeAllConnections()
    await new Promise<void>((resolve) => s.close(() => resolve()))
  }
}

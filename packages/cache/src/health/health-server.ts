/**
 * `/liveness` and `/readiness` over plain HTTP (Typha: port 9098). 200 when good, 503 when bad,
 * each with a small text body listing the reporters. Logs each change of the overall state.
 * `/status`: the JSON status document (cache-status.ts) when the daemon provides one.
 */
import { HttpEndpoint, type HttpAnswer, type Logger, type Startable } from '@cattail/common'
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
  readonly #endpoint: HttpEndpoint
  readonly #log: Logger
  #lastLogged: string | undefined

  /**
   * @param status builds the JSON `/status` document (`cattail status` reads it); no route when
   *   undefined
   */
  constructor(
    cfg: HealthServerConfig,
    private readonly health: HealthAggregator,
    log: Logger,
    status?: () => unknown
  ) {
    this.#log = log.child({ component: 'health' })
    this.#endpoint = new HttpEndpoint(
      'health',
      cfg,
      {
        '/liveness': () => this.#answer('live'),
        '/readiness': () => this.#answer('ready'),
        ...(status !== undefined && {
          '/status': () => ({
            status: 200,
            contentType: 'application/json',
            body: JSON.stringify(status()),
          }),
        }),
      },
      log
    )
  }

  /** The bound port (after start). */
  get port(): number {
    return this.#endpoint.port
  }

  #answer(quality: 'live' | 'ready'): HttpAnswer {
    const s = this.health.summary()
    const state = `live=${s.live} ready=${s.ready}`
    if (state !== this.#lastLogged) {
      this.#lastLogged = state
      this.#log.info({ live: s.live, ready: s.ready }, 'overall health status changed')
    }
    const ok = quality === 'live' ? s.live : s.ready
    return {
      status: ok ? 200 : 503,
      contentType: 'text/plain; charset=utf-8',
      body: renderHealthText(s, quality),
    }
  }

  start(): Promise<void> {
    return this.#endpoint.start()
  }

  stop(): Promise<void> {
    return this.#endpoint.stop()
  }
}

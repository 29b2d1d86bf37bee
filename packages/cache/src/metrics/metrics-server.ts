/**
 * Serves `GET /metrics` (Prometheus text format) from a {@link CacheMetrics} registry on its own port.
 */
import { HttpEndpoint, metricsRoute, type Logger, type Startable } from '@cattail/common'
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
  readonly #endpoint: HttpEndpoint

  constructor(cfg: MetricsServerConfig, metrics: CacheMetrics, log: Logger) {
    this.#endpoint = new HttpEndpoint(
      'metrics',
      cfg,
      { '/metrics': metricsRoute(metrics.registry) },
      log
    )
  }

  /** The bound port (after start). */
  get port(): number {
    return this.#endpoint.port
  }

  start(): Promise<void> {
    return this.#endpoint.start()
  }

  stop(): Promise<void> {
    return this.#endpoint.stop()
  }
}

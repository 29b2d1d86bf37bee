/**
 * The `cattail federation` daemon: composition root of the controller, the leader elector and
 * the health and metrics endpoints, with a start/stop lifecycle. Readiness = the local cluster is
 * in sync (a standby replica is ready too: it only waits for the lease). SIGTERM releases the
 * lease, so a standby takes over at once.
 */
import { HttpEndpoint, createRootLogger, metricsRoute, type Logger } from '@cattail/common'
import { loadKubeConfig } from '@cattail/datastore'
import type { FederationConfig } from './config.js'
import { FederationController, type ControllerStatus } from './controller.js'
import { KubeClient } from './kube/client.js'
import { LeaseElector } from './leader.js'
import { FederationMetrics } from './metrics.js'

/** A running (or stopped) federation daemon. */
export class FederationDaemon {
  readonly metrics: FederationMetrics
  readonly controller: FederationController
  readonly elector: LeaseElector
  readonly #endpoints: HttpEndpoint[] = []
  readonly #log: Logger
  readonly #client: KubeClient

  constructor(
    readonly cfg: FederationConfig,
    log: Logger,
    opts: { readonly defaultMetrics?: boolean } = {}
  ) {
    this.#log = log
    const kc = loadKubeConfig(
      cfg.kubeconfig === undefined ? { kind: 'in-cluster' } : { kind: 'path', path: cfg.kubeconfig }
    )
    const client = new KubeClient(kc, cfg.controller.requestTimeoutMs)
    this.#client = client
    this.metrics = new FederationMetrics(opts.defaultMetrics ?? true)
    this.controller = new FederationController(client, cfg.controller, this.metrics, log)
    this.elector = new LeaseElector(
      client,
      cfg.lease,
      {
        onStartedLeading: () => this.controller.setLeader(true),
        onStoppedLeading: () => this.controller.setLeader(false),
      },
      log
    )
    const text = (status: number, body: string) => ({ status, contentType: 'text/plain', body })
    if (cfg.health.enabled) {
      this.#endpoints.push(
        new HttpEndpoint(
          'health',
          cfg.health,
          {
            '/liveness': () => text(200, 'ok\n'),
            '/readiness': () => {
              const st = this.controller.status()
              return st.localInSync ? text(200, 'ok\n') : text(503, 'local cluster not in sync\n')
            },
          },
          log
        )
      )
    }
    if (cfg.metrics.enabled) {
      this.#endpoints.push(
        new HttpEndpoint(
          'metrics',
          cfg.metrics,
          { '/metrics': metricsRoute(this.metrics.registry) },
          log
        )
      )
    }
  }

  /** Status for `cattail status`. */
  status(): ControllerStatus {
    return this.controller.status()
  }

  /** Ports bound by the health and metrics endpoints (after start), in that order. */
  get ports(): number[] {
    return this.#endpoints.map((e) => e.port)
  }

  /** Starts the endpoints, the controller and the elector. */
  async start(): Promise<void> {
    for (const e of this.#endpoints) await e.start()
    this.controller.start()
    this.elector.start()
    this.#log.info(
      { lease: `${this.cfg.lease.namespace}/${this.cfg.lease.name}` },
      'federation controller started'
    )
  }

  /** Releases the lease, stops the controller and the endpoints. Idempotent. */
  async stop(): Promise<void> {
    await this.elector.stop()
    this.controller.setLeader(false)
    await this.controller.stop()
    this.#client.close()
    for (const e of this.#endpoints) await e.stop()
  }
}

/** main(): root logger, daemon, SIGTERM/SIGINT → release the lease and exit 0. */
export async function runFederationDaemon(cfg: FederationConfig): Promise<FederationDaemon> {
  const log = createRootLogger(cfg.logLevel, 'federation')
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled promise rejection; exiting')
    process.exit(1)
  })
  const daemon = new FederationDaemon(cfg, log)
  await daemon.start()
  let stopping = false
  const shutdown = (): void => {
    if (stopping) return
    stopping = true
    log.info({}, 'stopping federation controller')
    daemon.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed')
        process.exit(1)
      }
    )
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
  return daemon
}

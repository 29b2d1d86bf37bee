/**
 * The agent daemon: the composition root, the only place adapters are constructed.
 *
 *   SyncClient (syncproto) ──onUpdates──► VxlanManager.onUpdate ──kick──► DataplaneLoop
 *              └──────────onStatus──────► gate: open only while connected AND in-sync
 *   DataplaneLoop ──► KernelVxlanDriver (iproute2 batch | netlink) ──► kernel
 *   health (127.0.0.1:9099: /liveness, /readiness, /status) ◄── in sync && programmed; watchdog
 *   metrics (:9092) ◄── loop hooks
 *
 * Felix's place: the agent refuses to start beside a running Felix (felix-guard.ts: a Felix
 * process on the host, or its health port taken) and keeps Felix's health contract.
 *
 * What runs where: everything runs in this one process, in the host network namespace
 * (hostNetwork DaemonSet). The calc is pure and synchronous; kernel work is async (child
 * processes for iproute2, one netlink socket for small changes).
 */
import {
  AlreadyStartedError,
  HttpEndpoint,
  metricsRoute,
  type HttpAnswer,
  type Logger,
  type Startable,
} from '@cattail/common'
import type { KVUpdate, SyncStatus } from '@cattail/model'
import { agentConfigLogFields, type AgentConfig } from './config.js'
import { healthPortError, refuseRunningFelix } from './felix-guard.js'
import { blockedRouteList, withBlockedDetail, type AgentStatusReport } from './status.js'
import { DEFAULT_DATAPLANE_LOOP_CONFIG } from './dataplane/dataplane-loop.js'
import { createVxlanDataplane, type VxlanDataplane } from './dataplane/vxlan-dataplane.js'
import { AgentMetrics } from './metrics.js'
import { createSyncSource } from './syncclient/sync-source.js'
import type { UpdateSink, UpdateSource } from './syncclient/update-source.js'

/** Builds the update source; the default connects to the cache (tests inject their own). */
export type UpdateSourceFactory = (
  cfg: AgentConfig,
  sink: UpdateSink,
  log: Logger
) => Promise<UpdateSource>

/** The running agent. */
export class AgentDaemon implements Startable {
  readonly metrics = new AgentMetrics()
  readonly dataplane: VxlanDataplane
  readonly #log: Logger
  #source: UpdateSource | undefined
  #servers: HttpEndpoint[] = []
  #started = false
  #status: SyncStatus = 'wait-for-ready'
  #connected = false
  /** Ports actually bound (0 in the config = ephemeral; tests read these). */
  healthPort = 0
  metricsPort = 0

  constructor(
    private readonly cfg: AgentConfig,
    log: Logger,
    private readonly sourceFactory: UpdateSourceFactory = createSyncSource
  ) {
    this.#log = log.child({ component: 'agent' })
    this.dataplane = createVxlanDataplane({
      nodeName: cfg.nodeName,
      vxlan: cfg.vxlan,
      loop: {
        ...DEFAULT_DATAPLANE_LOOP_CONFIG,
        resyncIntervalMs: cfg.resyncIntervalMs,
        watchdogTimeoutMs: cfg.watchdogTimeoutMs,
      },
      commandTimeoutMs: cfg.commandTimeoutMs,
      log,
      hooks: {
        onApplied: (r, ms) => this.metrics.observeApply(r, ms, this.dataplane.driver.stats),
        onError: () => this.metrics.applyErrors.inc(),
      },
      onNetlinkReset: () => this.metrics.netlinkRecreations.inc(),
    })
  }

  /** In sync with the cache (connected and the server says in-sync). */
  get inSync(): boolean {
    return this.#connected && this.#status === 'in-sync'
  }

  /**
   * Ready = in sync and the dataplane matches the last computed state. Destinations blocked by
   * foreign routes do not make the node unready (everything else is programmed); they are named
   * in the detail.
   */
  readiness(): { ok: boolean; detail: string } {
    const dp = this.dataplane.loop.status
    const blocked = blockedRouteList(this.dataplane.driver.blockedRoutes)
    if (!this.inSync)
      return {
        ok: false,
        detail: `not in sync with the cache (${this.#connected ? this.#status : 'disconnected'})`,
      }
    if (dp !== 'programmed')
      return { ok: false, detail: withBlockedDetail(`dataplane ${dp}`, blocked) }
    return { ok: true, detail: withBlockedDetail('ready', blocked) }
  }

  /** The JSON `/status` document (see status.ts). */
  statusReport(): AgentStatusReport {
    const r = this.readiness()
    const l = this.dataplane.loop.liveness()
    return {
      nodeName: this.cfg.nodeName,
      live: l.ok,
      liveness: l.detail,
      ready: r.ok,
      readiness: r.detail,
      inSync: this.inSync,
      connected: this.#connected,
      syncStatus: this.#status,
      dataplane: this.dataplane.loop.status,
      blockedRoutes: blockedRouteList(this.dataplane.driver.blockedRoutes),
    }
  }

  async start(signal?: AbortSignal): Promise<void> {
    if (this.#started) throw new AlreadyStartedError('agent')
    this.#started = true
    this.#log.info(agentConfigLogFields(this.cfg), 'agent starting')
    // Felix first, then the source: bad TLS files or kubeconfig fail before anything listens.
    let source: UpdateSource
    try {
      await refuseRunningFelix(this.cfg.hostProcDir)
      source = await this.sourceFactory(this.cfg, this.#sink(), this.#log)
    } catch (err) {
      this.#started = false
      throw err
    }
    try {
      await this.#startRest(source, signal)
    } catch (err) {
      await this.stop()
      throw healthPortError(err)
    }
  }

  async #startRest(source: UpdateSource, signal?: AbortSignal): Promise<void> {
    this.#source = source
    const health = (ok: boolean, detail: string): HttpAnswer => ({
      status: ok ? 200 : 503,
      contentType: 'text/plain',
      body: detail + '\n',
    })
    if (this.cfg.health.enabled) {
      const h = new HttpEndpoint(
        'health',
        this.cfg.health,
        {
          '/liveness': () => {
            const l = this.dataplane.loop.liveness()
            return health(l.ok, l.detail)
          },
          '/readiness': () => {
            const r = this.readiness()
            return health(r.ok, r.detail)
          },
          '/status': () => ({
            status: 200,
            contentType: 'application/json',
            body: JSON.stringify(this.statusReport()) + '\n',
          }),
        },
        this.#log
      )
      await h.start()
      this.#servers.push(h)
      this.healthPort = h.port
    }
    if (this.cfg.metrics.enabled) {
      const m = new HttpEndpoint(
        'metrics',
        this.cfg.metrics,
        { '/metrics': metricsRoute(this.metrics.registry) },
        this.#log
      )
      await m.start()
      this.#servers.push(m)
      this.metricsPort = m.port
    }
    await this.dataplane.start(signal)
    await source.start(signal)
    this.#log.info({ healthPort: this.healthPort, metricsPort: this.metricsPort }, 'agent started')
  }

  #sink(): UpdateSink {
    return {
      onUpdates: (updates: readonly KVUpdate[]) => {
        this.metrics.syncUpdates.inc(updates.length)
        this.dataplane.onUpdates(updates)
      },
      onStatus: (status, connected) => {
        const was = this.inSync
        this.#status = status
        this.#connected = connected
        const now = this.inSync
        this.metrics.inSync.set(now ? 1 : 0)
        if (was !== now)
          this.#log.info(
            { status, connected },
            now ? 'in sync with the cache' : 'not in sync with the cache; dataplane held'
          )
        // Fail-static: closed while disconnected/resyncing, so nothing is withdrawn meanwhile.
        this.dataplane.loop.setGate(now)
      },
    }
  }

  /** Stops the source, the loop and the servers. The kernel keeps its state (fail-static). */
  async stop(): Promise<void> {
    if (!this.#started) return
    this.#started = false
    await this.#source?.stop()
    await this.dataplane.stop()
    await Promise.all(this.#servers.map((s) => s.stop()))
    this.#servers = []
    this.#log.info('agent stopped')
  }
}

/** What {@link runAgentDaemon} needs from the process (tests replace it). */
export interface AgentProcessHooks {
  readonly exit: (code: number) => void
  readonly once: (
    event: 'SIGTERM' | 'SIGINT' | 'unhandledRejection' | 'uncaughtException',
    fn: (arg?: unknown) => void
  ) => void
}

/**
 * Runs the agent until SIGTERM/SIGINT (the `cattail agent` action). An unhandled rejection or an
 * uncaught exception is logged at fatal and exits 1, as the cache does: the pod restarts instead
 * of running on in an unknown state. A start failure (Felix running, bad config) rejects.
 */
export async function runAgentDaemon(
  cfg: AgentConfig,
  log: Logger,
  opts: { readonly process?: AgentProcessHooks; readonly sourceFactory?: UpdateSourceFactory } = {}
): Promise<void> {
  const proc: AgentProcessHooks = opts.process ?? {
    exit: (code) => process.exit(code),
    once: (event, fn) => process.once(event, fn),
  }
  proc.once('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled promise rejection; exiting')
    proc.exit(1)
  })
  proc.once('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting')
    proc.exit(1)
  })
  const daemon = new AgentDaemon(cfg, log, opts.sourceFactory)
  try {
    await daemon.start()
  } catch (err) {
    log.fatal({ err }, 'agent failed to start')
    throw err
  }
  await new Promise<void>((resolve) => {
    const done = (): void => resolve()
    proc.once('SIGTERM', done)
    proc.once('SIGINT', done)
  })
  await daemon.stop()
}

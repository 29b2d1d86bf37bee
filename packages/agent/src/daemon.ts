/**
 * The agent daemon: the composition root, the only place adapters are constructed.
 *
 *   SyncClient (syncproto) ──onUpdates──► VxlanManager.onUpdate ──kick──► DataplaneLoop
 *              └──────────onStatus──────► gate: open only while connected AND in-sync
 *   DataplaneLoop ──► KernelVxlanDriver (iproute2 batch | netlink) ──► kernel
 *   health (:9099) ◄── in sync && dataplane programmed        metrics (:9092) ◄── loop hooks
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
      loop: { ...DEFAULT_DATAPLANE_LOOP_CONFIG, resyncIntervalMs: cfg.resyncIntervalMs },
      log,
      hooks: {
        onApplied: (r, ms) => this.metrics.observeApply(r, ms, this.dataplane.driver.stats),
        onError: () => this.metrics.applyErrors.inc(),
      },
      onNetlinkReset: () => this.metrics.netlinkRecreations.inc(),
      ...(cfg.dryRun === true && {
        dryRun: (change: string) => this.#log.info({ change }, 'dry run: would change the kernel'),
      }),
    })
  }

  /** In sync with the cache (connected and the server says in-sync). */
  get inSync(): boolean {
    return this.#connected && this.#status === 'in-sync'
  }

  /** Ready = in sync and the dataplane matches the last computed state. */
  readiness(): { ok: boolean; detail: string } {
    const dp = this.dataplane.loop.status
    if (!this.inSync)
      return {
        ok: false,
        detail: `not in sync with the cache (${this.#connected ? this.#status : 'disconnected'})`,
      }
    if (dp !== 'programmed') return { ok: false, detail: `dataplane ${dp}` }
    return { ok: true, detail: 'ready' }
  }

  async start(signal?: AbortSignal): Promise<void> {
    if (this.#started) throw new AlreadyStartedError('agent')
    this.#started = true
    this.#log.info(agentConfigLogFields(this.cfg), 'agent starting')
    // The source first: bad TLS files or kubeconfig fail the start before anything listens.
    let source: UpdateSource
    try {
      source = await this.sourceFactory(this.cfg, this.#sink(), this.#log)
    } catch (err) {
      this.#started = false
      throw err
    }
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
          '/liveness': () =>
            this.dataplane.loop.alive
              ? health(true, 'live')
              : health(false, 'dataplane loop crashed'),
          '/readiness': () => {
            const r = this.readiness()
            return health(r.ok, r.detail)
          },
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

/** Runs the agent until SIGTERM/SIGINT (the `cattail agent` action). */
export async function runAgentDaemon(cfg: AgentConfig, log: Logger): Promise<void> {
  const daemon = new AgentDaemon(cfg, log)
  await daemon.start()
  await new Promise<void>((resolve) => {
    const done = (): void => resolve()
    process.once('SIGTERM', done)
    process.once('SIGINT', done)
  })
  await daemon.stop()
}

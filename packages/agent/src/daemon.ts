/**
 * The agent daemon: the composition root, the only place adapters are constructed.
 *
 *   SyncClient (syncproto) ──onUpdates──► VxlanManager.onUpdate  ──kick──► DataplaneLoop (vxlan)
 *              │              └────────► PolicyManager.onUpdate ──kick──► DataplaneLoop (policy)
 *              └──────────onStatus──────► both gates: open only while connected AND in-sync
 *   vxlan loop  ──► KernelVxlanDriver (iproute2 batch | netlink) ──► kernel
 *   policy loop ──► KernelPolicyDriver (ipset restore, iptables-restore, ip -batch) ──► kernel
 *   health (127.0.0.1:9099: /liveness, /readiness, /status) ◄── in sync && both programmed; watchdogs
 *   metrics (:9092) ◄── loop hooks
 *   FelixConflictError (our chains keep being rewritten) ──► `fatal` ──► the process exits
 *
 * Felix's place: the agent refuses to start beside a running Felix (felix-guard.ts: a Felix
 * process on the host, or its health port taken) and keeps Felix's health contract.
 *
 * What runs where: everything runs in this one process, in the host network namespace
 * (hostNetwork DaemonSet). The calc is pure and synchronous; kernel work is async (child
 * processes for iproute2, one netlink socket for the VXLAN change sets).
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
import {
  createPolicyDataplane,
  type PolicyCalcFactory,
  type PolicyDataplane,
} from './dataplane/policy-dataplane.js'
import { defaultPolicyCalcFactory } from './dataplane/policy-calc-factory.js'
import type { ToolRunner } from './dataplane/drivers/exec.js'
import { DryRunToolRunner } from './dataplane/drivers/dry-run-runner.js'
import type { FelixConflictError } from './errors.js'
import { AgentMetrics } from './metrics.js'
import { createSyncSource } from './syncclient/sync-source.js'
import type { UpdateSink, UpdateSource } from './syncclient/update-source.js'

/** Builds the update source; the default connects to the cache (tests inject their own). */
export type UpdateSourceFactory = (
  cfg: AgentConfig,
  sink: UpdateSink,
  log: Logger
) => Promise<UpdateSource>

/** Injectable parts of {@link AgentDaemon} (tests). */
export interface AgentDaemonOptions {
  /** Builds the pure policy calc. @default defaultPolicyCalcFactory */
  readonly policyCalcFactory?: PolicyCalcFactory
  /** Runs iptables/ipset/ip for the policy dataplane (tests: inside a netns). */
  readonly policyRunner?: ToolRunner
}

/** The running agent. */
export class AgentDaemon implements Startable {
  readonly metrics = new AgentMetrics()
  readonly dataplane: VxlanDataplane
  /** The policy dataplane; undefined with `--policy false`. */
  readonly policy: PolicyDataplane | undefined
  /** Resolves when the agent must exit (another writer keeps rewriting our iptables chains). */
  readonly fatal: Promise<FelixConflictError>
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
    private readonly sourceFactory: UpdateSourceFactory = createSyncSource,
    opts: AgentDaemonOptions = {}
  ) {
    this.#log = log.child({ component: 'agent' })
    let onFatal: (err: FelixConflictError) => void = () => undefined
    this.fatal = new Promise((resolve) => (onFatal = resolve))
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
      ...(cfg.dryRun === true && {
        dryRun: (change: string) => this.#log.info({ change }, 'dry run: would change the kernel'),
      }),
    })
    const calcFactory = opts.policyCalcFactory ?? defaultPolicyCalcFactory
    this.policy = cfg.policy.enabled
      ? createPolicyDataplane({
          nodeName: cfg.nodeName,
          policy: cfg.policy,
          loop: { ...DEFAULT_DATAPLANE_LOOP_CONFIG, resyncIntervalMs: cfg.resyncIntervalMs },
          calcFactory,
          log,
          ...(cfg.dryRun === true
            ? {
                runner: new DryRunToolRunner((change) =>
                  this.#log.info({ change }, 'dry run: would change the kernel')
                ),
              }
            : opts.policyRunner && { runner: opts.policyRunner }),
          hooks: {
            onApplied: (r, ms) =>
              this.metrics.observePolicyApply(r, ms, (this.policy as PolicyDataplane).driver.stats),
            onError: () => {
              this.metrics.policyApplyErrors.inc()
              this.metrics.observePolicyStats((this.policy as PolicyDataplane).driver.stats)
            },
          },
          onProblems: (p) => this.metrics.policyProblems.set(p.length),
          onFatal: (err) => {
            this.#log.fatal({ err }, 'another writer keeps rewriting our iptables chains; exiting')
            onFatal(err)
          },
        })
      : undefined
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
    const pol = this.policy?.loop.status ?? 'programmed'
    if (pol !== 'programmed')
      return { ok: false, detail: withBlockedDetail(`policy dataplane ${pol}`, blocked) }
    return { ok: true, detail: withBlockedDetail('ready', blocked) }
  }

  /** The JSON `/status` document (see status.ts). */
  statusReport(): AgentStatusReport {
    const r = this.readiness()
    const l = this.#liveness()
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
      ...(this.policy !== undefined && { policyDataplane: this.policy.loop.status }),
      blockedRoutes: blockedRouteList(this.dataplane.driver.blockedRoutes),
    }
  }

  /** Live = both dataplane loops running and no apply stuck past the watchdog. */
  #liveness(): { ok: boolean; detail: string } {
    const v = this.dataplane.loop.liveness()
    if (!v.ok) return v
    const p = this.policy?.loop.liveness()
    if (p !== undefined && !p.ok) return { ok: false, detail: `policy: ${p.detail}` }
    return v
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
            const l = this.#liveness()
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
    await this.policy?.start(signal)
    await source.start(signal)
    this.#log.info({ healthPort: this.healthPort, metricsPort: this.metricsPort }, 'agent started')
  }

  #sink(): UpdateSink {
    return {
      onUpdates: (updates: readonly KVUpdate[]) => {
        this.metrics.syncUpdates.inc(updates.length)
        this.dataplane.onUpdates(updates)
        this.policy?.onUpdates(updates)
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
        this.policy?.loop.setGate(now)
      },
    }
  }

  /** Stops the source, the loop and the servers. The kernel keeps its state (fail-static). */
  async stop(): Promise<void> {
    if (!this.#started) return
    this.#started = false
    await this.#source?.stop()
    await this.dataplane.stop()
    await this.policy?.stop()
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
 * of running on in an unknown state. A start failure (Felix running, bad config) rejects, and so
 * does (after stopping) a FelixConflictError when another writer keeps rewriting our chains, so
 * the process exits non-zero with the message telling to set `CALICO_DISABLE_FELIX=true`.
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
  const fatal = await new Promise<FelixConflictError | undefined>((resolve) => {
    const done = (): void => resolve(undefined)
    proc.once('SIGTERM', done)
    proc.once('SIGINT', done)
    void daemon.fatal.then(resolve)
  })
  await daemon.stop()
  if (fatal !== undefined) throw fatal
}

/**
 * The fan-out server: accepts WebSocket connections (optionally mutual TLS), runs one
 * {@link Connection} per client, enforces the connection limit by shedding, and drains
 * gracefully on shutdown.
 *
 * # Overview
 * ```
 *  TCP/TLS accept ──▶ handshake timer (no valid hello in time ⇒ destroy; TLS handshake included)
 *        │ HTTP upgrade: client cert CN / URI SAN on the allow-list? else 403 + log
 *        ▼
 *  Connection ──▶ snapshot (SharedSnapshots: one compressed build per crumb, shared;
 *                           pre-built when the cache reaches in-sync)
 *             ──▶ deltas   (SharedFrames: one frame per crumb for up-to-date clients)
 *  governor, every dropIntervalMs: limit = computeMaxConnections(nodes, replicas, …);
 *        over it ⇒ close ONE connection with GoAway 'shedding'
 *  drain(): stop accepting; close one connection per min(shutdown×95%/n, maxInterval)
 * ```
 *
 * # Implementation
 * - ws runs with `noServer`, `perMessageDeflate: false` (compression is per connection and would
 *   defeat sharing; snapshots are compressed once by us) and `maxPayload = maxInboundBytes`.
 * - The handshake timer is armed per socket as soon as it is accepted (plain) or its TLS
 *   handshake completes (TLS; `handshakeTimeout` covers the TLS part), and disarmed by the
 *   connection's first valid hello. Half-open sockets never reach ws, so the timer sits below it.
 * - Connections count as active from the WebSocket upgrade, including during the hello
 *   (Typha counts them from accept); the connection limit refuses nothing at accept time, excess
 *   is shed.
 * - Admission (accept-time caps against hostile clients, handshake timers, the TLS identity
 *   check at the upgrade) is `admission.ts`.
 * - TLS material is re-read every `tlsReloadIntervalMs` (tls-reload.ts); a change is applied with
 *   `setSecureContext`, so new handshakes use it and connected clients are not disturbed.
 */
import type { IncomingMessage, Server } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import { once } from 'node:events'
import type { AddressInfo, Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import {
  AlreadyStartedError,
  CATTAIL_VERSION,
  sleep,
  type Logger,
  type Startable,
} from '@cattail/common'
import {
  CLOSE_CODES,
  DEFAULT_SYNCER_TYPE,
  SUPPORTED_FEATURES,
  SUPPORTED_PROTOCOL_VERSIONS,
  SUPPORTED_SNAPSHOT_COMPRESSION,
  type ServerCapabilities,
} from '@cattail/syncproto'
import { ListenError } from '../errors.js'
import { Admission } from './admission.js'
import type { HealthAggregator } from '../health/health-aggregator.js'
import type { CacheMetrics } from '../metrics/cache-metrics.js'
import type { SnapshotCache } from '../snapcache/snapshot-cache.js'
import { Connection, type CloseCause, type ConnectionContext } from './connection.js'
import { computeMaxConnections, shutdownDropIntervalMs } from './connection-limits.js'
import type { SyncServerConfig } from './server-config.js'
import { SharedFrames } from './shared-frames.js'
import { SharedSnapshots } from './shared-snapshots.js'
import { WsFrames } from './ws-frame.js'
import { TlsReloader } from './tls-reload.js'

/** Listen backlog (the kernel caps it at net.core.somaxconn). */
const LISTEN_BACKLOG = 4096

/** Name under which the server reports liveness. */
export const SYNC_SERVER_HEALTH_NAME = 'syncserver'

/** Optional collaborators. */
export interface SyncServerOptions {
  readonly metrics?: CacheMetrics
  /** Liveness is reported from the governor loop. */
  readonly health?: HealthAggregator
  /** Build version announced in the ServerHello. @default CATTAIL_VERSION */
  readonly serverVersion?: string
  /** @default Date.now */
  readonly nowMs?: () => number
  /** Ready replicas from the cache Service (replica-count.ts); used when `replicas` is 0. */
  readonly replicaCount?: () => number | undefined
}

/** Counters for tests and the benchmark (the metrics carry the same numbers). */
export interface SyncServerStats {
  readonly active: number
  readonly accepted: number
  readonly shed: number
  readonly snapshotsBuilt: number
  readonly snapshotsReused: number
  readonly deltaFramesBuilt: number
  /** Merged (laggard) Deltas frames built and reused. */
  readonly mergedFramesBuilt: number
  readonly mergedFramesReused: number
  readonly handshakeTimeouts: number
  readonly tlsRejected: number
  /** Sockets closed at accept (pending-handshake or per-source cap). */
  readonly refusedAtAccept: number
  /** Sockets accepted whose handshake is not done yet. */
  readonly pendingHandshakes: number
  /** TLS material reloads applied. */
  readonly tlsReloads: number
  /** Governor ticks so far (tests wait on it instead of sleeping). */
  readonly governorTicks: number
  readonly closed: Readonly<Record<string, number>>
}

/** The WebSocket fan-out server. */
export class SyncServer implements Startable {
  readonly #log: Logger
  readonly #metrics: CacheMetrics | undefined
  readonly #health: HealthAggregator | undefined
  readonly #nowMs: () => number
  readonly #replicaCount: (() => number | undefined) | undefined
  readonly #snapshots: SharedSnapshots
  readonly #frames: SharedFrames
  readonly #conns = new Set<Connection>()
  readonly #admission: Admission
  #tlsReloader: TlsReloader | undefined
  readonly #closed = new Map<string, number>()
  readonly #ctx: ConnectionContext
  #server: Server | undefined
  #wss: WebSocketServer | undefined
  #governor: NodeJS.Timeout | undefined
  #abort: AbortController | undefined
  #draining = false
  #nextId = 0
  #accepted = 0
  #shed = 0
  #ticks = 0
  #unsubscribe: (() => void) | undefined

  constructor(
    private readonly cfg: SyncServerConfig,
    private readonly cache: SnapshotCache,
    log: Logger,
    opts: SyncServerOptions = {}
  ) {
    this.#log = log.child({ component: 'syncserver' })
    this.#metrics = opts.metrics
    this.#health = opts.health
    this.#nowMs = opts.nowMs ?? Date.now
    this.#replicaCount = opts.replicaCount
    const wsFrames = new WsFrames()
    this.#frames = new SharedFrames(wsFrames)
    this.#admission = new Admission(cfg, this.#log, opts.metrics, this.#nowMs)
    this.#snapshots = new SharedSnapshots(cfg, cache, opts.metrics, wsFrames, this.#nowMs)
    const caps: ServerCapabilities = {
      versions: SUPPORTED_PROTOCOL_VERSIONS,
      features: SUPPORTED_FEATURES,
      syncerTypes: [DEFAULT_SYNCER_TYPE],
      snapshotCompression: SUPPORTED_SNAPSHOT_COMPRESSION,
    }
    this.#ctx = {
      cfg,
      cache,
      snapshots: this.#snapshots,
      frames: this.#frames,
      wsFrames,
      metrics: opts.metrics,
      caps,
      serverVersion: opts.serverVersion ?? CATTAIL_VERSION,
      nowMs: this.#nowMs,
      onHello: (socket) => this.#admission.helloDone(socket),
      onClosed: (conn, cause, wasStreaming) => this.#onClosed(conn, cause, wasStreaming),
    }
    this.#health?.register(SYNC_SERVER_HEALTH_NAME, {
      live: true,
      ready: false,
      timeoutMs: Math.max(20_000, cfg.dropIntervalMs * 4),
    })
  }

  /** The bound port (after start). */
  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#conns.size
  }

  /** The live connections (tests, debugging). */
  get connections(): ReadonlySet<Connection> {
    return this.#conns
  }

  /** The current connection limit (see computeMaxConnections). */
  get maxConnections(): number {
    return computeMaxConnections({
      lower: this.cfg.maxConnectionsLower,
      upper: this.cfg.maxConnectionsUpper,
      syncerTypes: 1,
      nodes: this.cache.localNodeCount,
      replicas: this.replicas,
    })
  }

  /** Replicas used by the connection limit: the static override, else the Service's count, else 1. */
  get replicas(): number {
    if (this.cfg.replicas > 0) return this.cfg.replicas
    return this.#replicaCount?.() ?? 1
  }

  /** Counters since start. */
  get stats(): SyncServerStats {
    return {
      active: this.#conns.size,
      accepted: this.#accepted,
      shed: this.#shed,
      snapshotsBuilt: this.#snapshots.built,
      snapshotsReused: this.#snapshots.reused,
      deltaFramesBuilt: this.#frames.deltaBuilds,
      mergedFramesBuilt: this.#frames.mergedStats.built,
      mergedFramesReused: this.#frames.mergedStats.reused,
      ...this.#admission.stats,
      tlsReloads: this.#tlsReloader?.reloads ?? 0,
      governorTicks: this.#ticks,
      closed: Object.fromEntries(this.#closed),
    }
  }

  /** Listens; resolves once bound. Bind and TLS-file errors reject (the server stays stopped). */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#abort !== undefined) throw new AlreadyStartedError('syncserver')
    const tls = this.cfg.tls
    const server = await this.#admission.createListener()
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.#onUpgrade(req, socket, head)
    )
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.cfg.maxInboundBytes,
      clientTracking: false,
    })
    // A deep accept queue: a thousand agents reconnecting at once must not hit SYN retries.
    server.listen({ port: this.cfg.port, host: this.cfg.host, backlog: LISTEN_BACKLOG })
    try {
      await once(server, 'listening')
    } catch (err) {
      throw new ListenError('syncserver', this.cfg.host, this.cfg.port, err)
    }
    server.on('error', (err) => this.#log.error({ err }, 'listener error'))
    this.#server = server
    this.#wss = wss
    if (tls !== undefined) {
      this.#tlsReloader = new TlsReloader(tls, this.cfg.tlsReloadIntervalMs, this.#log, (ctx) =>
        (server as HttpsServer).setSecureContext(ctx)
      )
      await this.#tlsReloader.start()
    }
    this.#abort = new AbortController()
    signal?.addEventListener('abort', () => void this.stop(), { once: true })
    this.#governor = setInterval(() => this.#govern(), this.cfg.dropIntervalMs)
    // Agents (re)connect en masse when the cache becomes ready: have their snapshot under way.
    this.#unsubscribe = this.cache.onStatusChange((s) => {
      if (s === 'in-sync') this.#prebuild()
    })
    if (this.cache.status === 'in-sync') this.#prebuild()
    this.#health?.report(SYNC_SERVER_HEALTH_NAME, { live: true, ready: true, detail: 'listening' })
    this.#log.info(
      { host: this.cfg.host, port: this.port, tls: tls !== undefined, epoch: this.cache.epoch },
      'sync server listening'
    )
  }

  /**
   * Graceful shutdown (SIGTERM): stop accepting, then disconnect one client per interval so the
   * drain spreads over 95 % of `shutdownTimeoutMs` (each gap at most `shutdownMaxDropIntervalMs`),
   * then stop. Resolves when every client is gone.
   */
  async drain(): Promise<void> {
    const abort = this.#abort
    if (abort === undefined || this.#draining) return
    this.#draining = true
    clearInterval(this.#governor)
    this.#server?.close()
    const n = this.#conns.size
    const intervalMs = shutdownDropIntervalMs(
      this.cfg.shutdownTimeoutMs,
      n,
      this.cfg.shutdownMaxDropIntervalMs
    )
    this.#log.info({ connections: n, intervalMs }, 'draining connections')
    while (this.#conns.size > 0) {
      const c = this.#conns.values().next().value as Connection
      c.close('shutdown', {
        code: CLOSE_CODES.goingAway,
        goAway: true,
        terminate: false,
        message: 'server shutting down',
      })
      if (this.#conns.size === 0) break
      if (!(await sleep(intervalMs, abort.signal))) break
    }
    this.#log.info('drain complete')
    await this.stop()
  }

  /** Closes every connection at once and the listener. Idempotent. */
  async stop(): Promise<void> {
    const abort = this.#abort
    if (abort === undefined) return
    this.#abort = undefined
    abort.abort()
    clearInterval(this.#governor)
    this.#tlsReloader?.stop()
    this.#tlsReloader = undefined
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    for (const c of [...this.#conns]) {
      c.close('stopped', { code: CLOSE_CODES.goingAway, goAway: false, terminate: true })
    }
    this.#admission.destroyAll()
    this.#snapshots.clear()
    const server = this.#server
    this.#server = undefined
    if (server !== undefined) {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    this.#wss?.close()
    this.#wss = undefined
    this.#draining = false
    this.#log.info('sync server stopped')
  }

  /** Starts the snapshot build for the preferred compression ahead of the joiners. */
  #prebuild(): void {
    const compression = this.#ctx.caps.snapshotCompression[0]
    if (compression === undefined) return
    try {
      this.#snapshots.prebuild(compression)
      this.#log.debug({ seq: this.cache.latest.seq, compression }, 'snapshot pre-built')
    } catch (err) {
      // Joiners build on demand instead; this is a bug, so say it loudly.
      this.#log.error({ err }, 'snapshot pre-build failed')
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const wss = this.#wss
    if (wss === undefined || this.#draining) {
      socket.destroy()
      return
    }
    if (!this.#admission.allowUpgrade(req, socket)) return
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const id = `${++this.#nextId}`
      const conn = new Connection(this.#ctx, ws, req.socket, id, this.#log)
      this.#conns.add(conn)
      this.#accepted++
      this.#metrics?.connectionsAccepted.inc()
      this.#metrics?.connectionsActive.set(this.#conns.size)
      if (this.#log.isLevelEnabled('debug')) {
        this.#log.debug(
          { connId: id, remote: `${req.socket.remoteAddress}:${req.socket.remotePort}` },
          'connection accepted'
        )
      }
    })
  }

  #onClosed(conn: Connection, cause: CloseCause, wasStreaming: boolean): void {
    this.#conns.delete(conn)
    this.#closed.set(cause, (this.#closed.get(cause) ?? 0) + 1)
    this.#metrics?.connectionsActive.set(this.#conns.size)
    if (wasStreaming) this.#metrics?.connectionsStreaming.dec()
  }

  /** One governor tick: report liveness, shed one connection when over the limit. */
  #govern(): void {
    this.#ticks++
    try {
      this.#health?.report(SYNC_SERVER_HEALTH_NAME, {
        live: true,
        ready: true,
        detail: `${this.#conns.size} connections`,
      })
      const limit = this.maxConnections
      if (this.#conns.size <= limit) return
      // Pick one at random (Typha: Go map order), so no client is always the victim.
      let i = Math.floor(Math.random() * this.#conns.size)
      let victim: Connection | undefined
      for (const c of this.#conns) if (i-- === 0) victim = c
      if (victim === undefined) return
      this.#shed++
      this.#metrics?.connectionsShed.inc()
      this.#log.info(
        { connId: victim.id, active: this.#conns.size, limit },
        'over the connection limit; shedding one'
      )
      victim.close('shedding', {
        code: CLOSE_CODES.goingAway,
        goAway: true,
        terminate: false,
        message: 'rebalancing',
        reconnectAfterMs: 0,
      })
    } catch (err) {
      this.#log.error({ err }, 'connection governor tick failed')
    }
  }
}

/**
 * Connection admission for the sync server: what happens to a socket between TCP accept and a
 * valid ClientHello.
 *
 * # Overview
 * ```
 *  TCP accept ──▶ caps (pending handshakes, per source)? refuse ──▶ destroy, count, log ≤ 1/10 s
 *      │ (TLS: after its handshake, bounded by the server's handshakeTimeout)
 *      ▼
 *  handshake timer ──no valid hello in time──▶ destroy
 *      │ HTTP upgrade (TLS): client certificate CN / URI SAN on the allow-list? else 403 + log
 *      ▼
 *  Connection ──first valid hello──▶ helloDone(): timer disarmed, no longer pending
 * ```
 * - Hostile clients (ours, not Typha's): at TCP accept (before TLS) a socket is closed at once
 *   when `maxPendingHandshakes` sockets are still in their handshake (TLS or ClientHello not
 *   done), or when its source address already has `maxConnectionsPerSource` open sockets. So an
 *   idle-socket flood holds a bounded number of file descriptors and, from one address, cannot
 *   crowd out agents from others.
 * - The handshake timer sits below ws: half-open sockets never reach the WebSocket layer.
 */
import { readFile } from 'node:fs/promises'
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Logger } from '@cattail/common'
import { TlsFileError } from '../errors.js'
import type { CacheMetrics } from '../metrics/cache-metrics.js'
import type { SyncServerConfig } from './server-config.js'
import { clientIdentity, isClientAllowed } from './tls-identity.js'

/** Admission counters (part of the server's stats). */
export interface AdmissionStats {
  readonly handshakeTimeouts: number
  readonly tlsRejected: number
  /** Sockets closed at accept (pending-handshake or per-source cap). */
  readonly refusedAtAccept: number
  /** Sockets accepted whose handshake is not done yet. */
  readonly pendingHandshakes: number
}

/** Accept-time caps, handshake timers and the TLS identity check of one server. */
export class Admission {
  readonly #sockets = new Set<Socket>()
  readonly #helloDone = new WeakSet<Socket>()
  /** `<address>:<port>` of accepted sockets whose handshake (TLS, hello) is not done. */
  readonly #pending = new Set<string>()
  /** Open sockets per source address. */
  readonly #perSource = new Map<string, number>()
  #refusedAtAccept = 0
  /** When each kind of refusal was last logged (one line per kind per 10 s; metrics count all). */
  readonly #lastLogMs = new Map<string, number>()
  #handshakeTimeouts = 0
  #tlsRejected = 0

  constructor(
    private readonly cfg: SyncServerConfig,
    private readonly log: Logger,
    private readonly metrics: CacheMetrics | undefined,
    private readonly nowMs: () => number
  ) {}

  /** Counters since start. */
  get stats(): AdmissionStats {
    return {
      handshakeTimeouts: this.#handshakeTimeouts,
      tlsRejected: this.#tlsRejected,
      refusedAtAccept: this.#refusedAtAccept,
      pendingHandshakes: this.#pending.size,
    }
  }

  /**
   * The HTTP (or, with TLS, HTTPS with client certificates required) server, with admission
   * wired in: caps at TCP accept, the handshake timer, TLS failures counted, plain HTTP requests
   * answered 426. The caller adds the upgrade handler and listens.
   */
  async createListener(): Promise<Server> {
    const tls = this.cfg.tls
    let server: Server
    if (tls !== undefined) {
      const [cert, key, ca] = await Promise.all(
        [tls.certFile, tls.keyFile, tls.caFile].map(async (f) => {
          try {
            return await readFile(f)
          } catch (err) {
            throw new TlsFileError(f, err)
          }
        })
      )
      server = createHttpsServer({
        cert,
        key,
        ca,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        handshakeTimeout: this.cfg.handshakeTimeoutMs,
      })
      server.on('tlsClientError', (err: Error, sock: TLSSocket) => this.onTlsError(err, sock))
    } else {
      server = createHttpServer()
    }
    // Raw TCP accept (also for TLS, before its handshake): the hostile-client caps.
    server.on('connection', (sock: Socket) => this.onAccept(sock))
    server.on(tls !== undefined ? 'secureConnection' : 'connection', (sock: Socket) =>
      this.armHandshakeTimer(sock)
    )
    server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('websocket upgrade required\n')
    })
    return server
  }

  /** TCP accept: refuses the socket when a hostile-client cap is reached, else tracks it. */
  onAccept(sock: Socket): void {
    const addr = sock.remoteAddress ?? ''
    const id = `${addr}:${sock.remotePort}`
    const { maxPendingHandshakes: maxPending, maxConnectionsPerSource: maxPerSource } = this.cfg
    const fromSource = this.#perSource.get(addr) ?? 0
    let reason: string | undefined
    if (maxPending > 0 && this.#pending.size >= maxPending) reason = 'pending-handshakes'
    else if (maxPerSource > 0 && fromSource >= maxPerSource) reason = 'per-source'
    if (reason !== undefined) {
      this.#refusedAtAccept++
      this.metrics?.connectionsRejected.inc({ reason })
      if (this.#mayLog('refused-at-accept')) {
        this.log.warn(
          {
            reason,
            source: addr,
            pending: this.#pending.size,
            fromSource,
            maxPending,
            maxPerSource,
          },
          'connection refused at accept (cap reached); further refusals for 10 s are only counted'
        )
      }
      sock.destroy()
      return
    }
    this.#pending.add(id)
    this.#perSource.set(addr, fromSource + 1)
    sock.once('close', () => {
      this.#pending.delete(id)
      const n = (this.#perSource.get(addr) ?? 1) - 1
      if (n <= 0) this.#perSource.delete(addr)
      else this.#perSource.set(addr, n)
    })
  }

  /** Starts the handshake timer of an accepted (plain) or TLS-handshaken socket. */
  armHandshakeTimer(sock: Socket): void {
    if (sock.destroyed) return
    this.#sockets.add(sock)
    const timer = setTimeout(() => {
      if (this.#helloDone.has(sock) || sock.destroyed) return
      this.#handshakeTimeouts++
      this.metrics?.connectionsRejected.inc({ reason: 'handshake-timeout' })
      if (this.#mayLog('handshake-timeout')) {
        this.log.info(
          { remote: `${sock.remoteAddress}:${sock.remotePort}` },
          'handshake timed out; closing (further timeouts for 10 s are only counted)'
        )
      }
      sock.destroy()
    }, this.cfg.handshakeTimeoutMs)
    sock.once('close', () => {
      clearTimeout(timer)
      this.#sockets.delete(sock)
    })
  }

  /** A valid hello arrived on `socket`: disarm its timer, it is no longer pending. */
  helloDone(socket: Socket): void {
    this.#helloDone.add(socket)
    this.#pending.delete(`${socket.remoteAddress}:${socket.remotePort}`)
  }

  /** A TLS handshake failed (the server's `tlsClientError`). */
  onTlsError(err: Error, sock: TLSSocket): void {
    this.#tlsRejected++
    this.metrics?.connectionsRejected.inc({ reason: 'tls' })
    if (this.#mayLog('tls')) {
      this.log.warn(
        { err, remote: `${sock.remoteAddress}:${sock.remotePort}` },
        'tls client rejected (further rejections for 10 s are only counted)'
      )
    }
  }

  /** True at most once per 10 s per `kind`: a flood of bad clients must not flood the log. */
  #mayLog(kind: string): boolean {
    const now = this.nowMs()
    if (now - (this.#lastLogMs.get(kind) ?? -Infinity) < 10_000) return false
    this.#lastLogMs.set(kind, now)
    return true
  }

  /**
   * With TLS: true when the client's certificate is verified and its CN or a URI SAN is on the
   * allow-list; otherwise answers 403, logs the presented identity and returns false.
   * Without TLS: always true.
   */
  allowUpgrade(req: IncomingMessage, socket: Socket): boolean {
    const tls = this.cfg.tls
    if (tls === undefined) return true
    const tlsSock = req.socket as TLSSocket
    const id = clientIdentity(tlsSock.getPeerCertificate())
    if (tlsSock.authorized && isClientAllowed(id, tls)) return true
    this.#tlsRejected++
    this.metrics?.connectionsRejected.inc({ reason: 'tls-identity' })
    this.log.warn(
      {
        cn: id.cn,
        uriSans: id.uriSans,
        remote: `${tlsSock.remoteAddress}:${tlsSock.remotePort}`,
      },
      'client certificate not allowed; refusing'
    )
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    socket.destroySoon()
    return false
  }

  /** Destroys every socket still tracked (stop). */
  destroyAll(): void {
    for (const s of this.#sockets) s.destroy()
    this.#sockets.clear()
  }
}

/**
 * One connection of the sync client, from dial to close.
 *
 * Overview
 * --------
 * ```
 *  dial (ws/wss, perMessageDeflate off, maxPayload = maxFrameBytes)
 *    └─ open ─▶ send ClientHello{resume?} ── phase 'hello' (connect timer runs)
 *                 ServerHello mode=snapshot ─▶ phase 'snapshot' ─ chunks 0..last ─▶ 'streaming'
 *                 ServerHello mode=resume   ─────────────────────────────────────▶ 'streaming'
 *    streaming: Deltas (seq must continue) · Status · Ping→Pong · unknown types ignored
 *    any frame resets the read timer; GoAway, a bad frame, a timeout or stop() closes
 * ```
 * The function resolves (never rejects) with what happened, and the SyncClient decides how long
 * to wait and where to go next.
 *
 * Implementation: all protocol checks raise ProtocolError/FrameTooLargeError inside the message
 * handler; the handler catches them, logs once, closes with the matching close code and the
 * session ends. Consumer callbacks are wrapped so a throwing consumer is logged and does not
 * kill the connection.
 */
import { assertNever, errorMessage, type Logger } from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import { WebSocket, type ClientOptions, type RawData } from 'ws'
import { decodeFrame } from '../codec/decode.js'
import { encodeFrame } from '../codec/encode.js'
import {
  ConnectTimeoutError,
  FrameTooLargeError,
  ProtocolError,
  ReadTimeoutError,
} from '../errors.js'
import { CLOSE_CODES, FEATURES, SUPPORTED_PROTOCOL_VERSIONS } from '../messages/protocol.js'
import type { DecodedFrame, GoAway, GoAwayReason, ServerHello } from '../messages/types.js'
import type { SyncClientCallbacks, SyncClientConfig } from './config.js'
import type { SyncState } from './sync-state.js'
import { clientTlsOptions } from './tls.js'

/** How a connection ended. */
export interface ConnectionOutcome {
  /** True once a valid ServerHello arrived (the attempt "worked"). */
  readonly handshakeDone: boolean
  /** The server's GoAway, when it sent one. */
  readonly goAway?: GoAway
  /** Why the connection ended, when it was not an orderly close. */
  readonly error?: unknown
}

/** What a connection needs from its SyncClient. */
export interface ConnectionContext {
  readonly address: string
  readonly cfg: SyncClientConfig
  readonly state: SyncState
  readonly callbacks: SyncClientCallbacks
  readonly log: Logger
  readonly signal: AbortSignal
  /** Called when the connection reaches the snapshot or streaming phase. */
  readonly onPhase: (phase: 'snapshot' | 'streaming') => void
}

type Phase = 'hello' | 'snapshot' | 'streaming' | 'closing'

/** How long a close handshake may take before the socket is destroyed, ms. */
const CLOSE_GRACE_MS = 1000

/** A WebSocket close reason must fit in 123 bytes of UTF-8: keep printable ASCII, 120 chars. */
const closeReason = (s: string): string => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 120)

/** Runs one connection to completion. Never rejects. */
export async function runConnection(ctx: ConnectionContext): Promise<ConnectionOutcome> {
  const { cfg, state, log } = ctx
  const limits = { maxFrameBytes: cfg.maxFrameBytes, maxKvsPerFrame: cfg.maxKvsPerFrame }
  return await new Promise<ConnectionOutcome>((resolve) => {
    let phase: Phase = 'hello'
    let handshakeDone = false
    let goAway: GoAway | undefined
    let failure: unknown
    let epoch = ''
    let nextChunk = 0
    let snapshotSeq = -1

    const options: ClientOptions = {
      perMessageDeflate: false,
      maxPayload: cfg.maxFrameBytes,
      handshakeTimeout: cfg.connectTimeoutMs,
      // ws hands these to tls.connect unchanged; @types/ws types checkServerIdentity with an
      // old (servername, CertMeta) => boolean signature, while Node calls it as tls does.
      ...(cfg.tls !== undefined && (clientTlsOptions(cfg.tls) as unknown as ClientOptions)),
    }
    const ws = new WebSocket(ctx.address, options)
    ws.binaryType = 'nodebuffer'

    const connectTimer = setTimeout(() => {
      fail(
        new ConnectTimeoutError(ctx.address, cfg.connectTimeoutMs),
        CLOSE_CODES.timeout,
        'timeout'
      )
    }, cfg.connectTimeoutMs)
    // The read timer starts with the ServerHello; until then the connect timer is in charge.
    let readTimer: NodeJS.Timeout | undefined
    let killTimer: NodeJS.Timeout | undefined

    const onAbort = (): void => close(CLOSE_CODES.normal, 'client stopping', 'shutdown')
    ctx.signal.addEventListener('abort', onAbort, { once: true })

    /** Closes once; after the handshake `goAwayReason` tells the server why first. */
    function close(code: number, reason: string, goAwayReason?: GoAwayReason): void {
      if (phase === 'closing') return
      phase = 'closing'
      clearTimeout(connectTimer)
      clearTimeout(readTimer)
      if (ws.readyState === WebSocket.CONNECTING) {
        ws.terminate()
        return
      }
      if (handshakeDone && goAwayReason !== undefined && ws.readyState === WebSocket.OPEN) {
        ws.send(
          encodeFrame({ type: 'go-away', reason: goAwayReason, message: reason.slice(0, 200) })
        )
      }
      ws.close(code, closeReason(reason))
      killTimer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS)
    }

    function fail(err: unknown, code: number, goAwayReason: GoAwayReason): void {
      if (phase === 'closing') return
      failure = err
      close(code, errorMessage(err), goAwayReason)
    }

    function emit(updates: readonly KVUpdate[]): void {
      if (updates.length === 0) return
      guard('onUpdates', () => ctx.callbacks.onUpdates(updates))
    }

    function guard(what: string, fn: () => void): void {
      try {
        fn()
      } catch (err) {
        log.error({ err, callback: what }, 'sync client callback failed')
      }
    }

    function onServerHello(hello: ServerHello): void {
      if (phase !== 'hello') throw new ProtocolError('unexpected-message', 'second server hello')
      if (!SUPPORTED_PROTOCOL_VERSIONS.includes(hello.version)) {
        throw new ProtocolError('handshake', `server chose unsupported version ${hello.version}`)
      }
      if (hello.syncerType !== cfg.syncerType) {
        throw new ProtocolError(
          'handshake',
          `server serves syncer type ${hello.syncerType}, want ${cfg.syncerType}`
        )
      }
      clearTimeout(connectTimer)
      readTimer = setTimeout(() => {
        fail(new ReadTimeoutError(cfg.readTimeoutMs), CLOSE_CODES.timeout, 'timeout')
      }, cfg.readTimeoutMs)
      handshakeDone = true
      epoch = hello.epoch
      log.info(
        {
          serverConnId: hello.serverConnId,
          mode: hello.mode,
          epoch,
          version: hello.version,
          seq: state.resumePoint?.seq,
        },
        'connected to sync server'
      )
      if (hello.mode === 'resume') {
        state.resume(hello.epoch)
        phase = 'streaming'
        ctx.onPhase('streaming')
      } else {
        state.beginSnapshot()
        phase = 'snapshot'
        nextChunk = 0
        ctx.onPhase('snapshot')
        guard('onSnapshotStart', () =>
          ctx.callbacks.onSnapshotStart?.({ epoch, address: ctx.address })
        )
      }
    }

    function handle(msg: DecodedFrame): void {
      switch (msg.type) {
        case 'server-hello':
          return onServerHello(msg)
        case 'snapshot-chunk': {
          if (phase !== 'snapshot')
            throw new ProtocolError('unexpected-message', 'snapshot chunk outside a snapshot')
          if (msg.index !== nextChunk || (msg.index > 0 && msg.seq !== snapshotSeq)) {
            throw new ProtocolError(
              'unexpected-message',
              `snapshot chunk ${msg.index} (seq ${msg.seq}) out of order`
            )
          }
          snapshotSeq = msg.seq
          nextChunk++
          emit(state.applySnapshotChunk(msg.updates))
          if (msg.last) {
            emit(state.finishSnapshot(epoch, msg.seq))
            phase = 'streaming'
            log.info({ seq: msg.seq, chunks: nextChunk, keys: state.kvs.size }, 'snapshot complete')
            ctx.onPhase('streaming')
          }
          return
        }
        case 'deltas':
          if (phase !== 'streaming')
            throw new ProtocolError('unexpected-message', `deltas during ${phase}`)
          emit(state.applyDeltas(msg.firstSeq, msg.seq, msg.updates))
          if (log.isLevelEnabled('debug'))
            log.debug({ seq: msg.seq, kvs: msg.updates.length }, 'deltas applied')
          return
        case 'status':
          if (phase === 'hello')
            throw new ProtocolError('unexpected-message', 'status before server hello')
          guard('onStatus', () => ctx.callbacks.onStatus(msg.status, msg.remotes))
          return
        case 'ping':
          ws.send(
            encodeFrame({
              type: 'pong',
              pingTimestampMs: msg.timestampMs,
              pongTimestampMs: Date.now(),
            })
          )
          return
        case 'go-away':
          goAway = msg
          log.info(
            { reason: msg.reason, message: msg.message, reconnectAfterMs: msg.reconnectAfterMs },
            'server sent go-away'
          )
          close(CLOSE_CODES.normal, 'go-away received')
          return
        case 'client-hello':
        case 'pong':
          throw new ProtocolError('unexpected-message', `server sent ${msg.type}`)
        case 'unknown':
          // A newer server's message type: ignore it (protocol.ts, unknown messages).
          log.debug({ typeCode: msg.typeCode }, 'ignoring unknown frame type')
          return
        default:
          return assertNever(msg, 'frame')
      }
    }

    ws.on('open', () => {
      const resume = cfg.features.includes(FEATURES.resume) ? state.resumePoint : undefined
      ws.send(
        encodeFrame({
          type: 'client-hello',
          versions: SUPPORTED_PROTOCOL_VERSIONS,
          features: cfg.features,
          nodeName: cfg.nodeName,
          syncerType: cfg.syncerType,
          clientVersion: cfg.clientVersion,
          snapshotCompression: cfg.snapshotCompression,
          ...(resume !== undefined && { resume }),
        })
      )
    })

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (phase === 'closing') return
      readTimer?.refresh()
      try {
        if (!isBinary) throw new ProtocolError('unexpected-message', 'text frame')
        handle(decodeFrame(data as Buffer, limits))
      } catch (err) {
        if (err instanceof ProtocolError || err instanceof FrameTooLargeError) {
          log.warn({ err }, 'bad frame from sync server; reconnecting')
          const code =
            err instanceof FrameTooLargeError ? CLOSE_CODES.tooBig : CLOSE_CODES.protocolError
          fail(err, code, 'protocol-error')
        } else {
          log.error({ err }, 'failed to handle frame from sync server; reconnecting')
          fail(err, CLOSE_CODES.internalError, 'other')
        }
      }
    })

    ws.on('error', (err: Error) => {
      // ws emits 'close' after every 'error'; remember the first cause for the outcome.
      failure ??= err
    })

    ws.on('close', (code: number, reason: Buffer) => {
      clearTimeout(connectTimer)
      clearTimeout(readTimer)
      clearTimeout(killTimer)
      ctx.signal.removeEventListener('abort', onAbort)
      if (state.inSnapshot) state.abandonSnapshot()
      log.debug({ code, reason: reason.toString('utf8') }, 'sync connection closed')
      resolve({
        handshakeDone,
        ...(goAway !== undefined && { goAway }),
        ...(failure !== undefined && { error: failure }),
      })
    })
  })
}

/**
 * The fan-out benchmark's lean load process (a fork of fanout.ts, `--role=load`): C
 * {@link LeanClient}s (raw TCP + minimal WebSocket, snapshot payloads counted, not decoded) for
 * the lean cold case, the delta latency, the warm joins and the raw-TCP baseline of the same
 * frames; plus {@link ChildProcessLink}, the request/answer link the main process uses with every
 * process it forks.
 *
 * Design: one process stands in for C agents with their own CPUs, so it must not be the
 * bottleneck: lean clients skip snapshot payloads, and each distinct deflated Deltas frame
 * (byte-identical for every client) is inflated once per process (deltas-peek.ts).
 */
import type { ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { TestClient } from '@cattail/cache/testing'
import { DeltasInflateMemo } from './deltas-peek.js'
import { epochNow } from './fanout-data.js'
import { LeanClient } from './lean-client.js'

/** Loopback address every benchmark socket uses. */
export const HOST = '127.0.0.1'
/** Bytes of the raw baselines' request and answer (about a WebSocket upgrade plus a hello). */
export const HANDSHAKE_BYTES = 256

/** Progress on stderr (stdout carries the table and the JSON line). */
export const progress = (msg: string): void => {
  process.stderr.write(`[fanout] ${new Date().toISOString()} ${msg}\n`)
}

type ToLoad =
  | { id: number; cmd: 'ws'; port: number; clients: number }
  | { id: number; cmd: 'measure' }
  | { id: number; cmd: 'wait-seq'; seq: number }
  | { id: number; cmd: 'verify'; port: number }
  | { id: number; cmd: 'close-ws' }
  | { id: number; cmd: 'raw'; port: number; clients: number; bytesPerClient: number }
  | { id: number; cmd: 'exit' }

/** An answer from a child process: the id of the request it answers, and figures. */
export interface Reply {
  id: number
  [k: string]: unknown
}

/** The lean load process's main: answers the main process's requests (see ToLoad). */
export function runLoad(): void {
  let clients: LeanClient[] = []
  // Deflated Deltas frames are byte-identical for every client: inflate each distinct one once
  // per load process (checked byte for byte; see scripts/bench/deltas-peek.ts).
  const inflateMemo = new DeltasInflateMemo()
  let measuring = false
  const samples: number[] = []
  let dropped = 0
  let closing = false
  const reply = (r: Reply): void => {
    process.send?.(r)
  }
  process.on('message', (m: ToLoad) => {
    switch (m.cmd) {
      case 'ws': {
        closing = false
        const start = epochNow()
        let done = 0
        // Clients closed before their snapshot completed (the server dropped them): the phase
        // ends without them and reports how many and why, rather than waiting forever.
        const lost: string[] = []
        const bytesAtSync: number[] = []
        const finished = (): void => {
          if (done + lost.length !== m.clients) return
          const first = clients.find((c) => c.inSync)
          const frameBytes = first?.snapshotFrameBytes ?? []
          reply({ id: m.id, start, end: epochNow(), bytesAtSync, frameBytes, lost })
        }
        const watch = setInterval(() => {
          if (done + lost.length === m.clients) {
            clearInterval(watch)
            return
          }
          const bytes = clients.reduce((a, c) => a + c.bytesReceived, 0)
          const closed = clients.filter((c) => c.closed).length
          progress(
            `load: ${done}/${m.clients} in sync, ${closed} closed, ${(bytes / 1048576).toFixed(0)} MiB received`
          )
        }, 5000)
        clients = Array.from(
          { length: m.clients },
          (_, i) =>
            new LeanClient(
              { host: HOST, port: m.port, nodeName: `bench-${i}`, inflateMemo },
              {
                onInSync: (c) => {
                  if (done === 0)
                    progress(
                      `load: first client in sync after ${Math.round(epochNow() - start)} ms`
                    )
                  bytesAtSync.push(c.bytesReceived)
                  done++
                  finished()
                },
                onDeltas: (_c, _seq, ts) => {
                  if (measuring && ts !== undefined) samples.push(epochNow() - ts)
                },
                onClose: (c) => {
                  if (closing) return
                  dropped++
                  if (c.inSync) return
                  lost.push(c.goAwayReason ?? 'closed before its snapshot completed')
                  finished()
                },
              }
            )
        )
        return
      }
      case 'measure':
        measuring = true
        reply({ id: m.id })
        return
      case 'wait-seq': {
        const t = setInterval(() => {
          if (clients.every((c) => c.seq >= m.seq || c.closed)) {
            clearInterval(t)
            measuring = false
            samples.sort((a, b) => a - b)
            const q = (p: number): number =>
              samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? NaN
            reply({
              id: m.id,
              p50: q(0.5),
              p99: q(0.99),
              max: samples[samples.length - 1] ?? NaN,
              count: samples.length,
              dropped,
              behind: clients.filter((c) => c.seq < m.seq).length,
              frames: clients.reduce((a, c) => a + c.deltaFrames, 0),
              inflated: inflateMemo.inflated,
            })
          }
        }, 5)
        return
      }
      case 'verify': {
        void TestClient.connect({ url: `ws://${HOST}:${m.port}/`, nodeName: 'bench-verify' }).then(
          async (c) => {
            const t = setInterval(() => {
              if ((c.status === 'in-sync' && c.snapshotDone) || c.closed) {
                clearInterval(t)
                const kvs = c.kvs.size
                void c.close().then(() => reply({ id: m.id, kvs, closed: c.closed }))
              }
            }, 10)
            await Promise.resolve()
          }
        )
        return
      }
      case 'close-ws': {
        closing = true
        for (const c of clients) c.destroy()
        clients = []
        reply({ id: m.id })
        return
      }
      case 'exit':
        process.exit(0)
        return
      case 'raw': {
        // Same handshake round trip (a request, then an answer before any data) and the same
        // bytes; the server replays the snapshot's frame sizes (see runMain).
        const start = epochNow()
        let done = 0
        const hello = Buffer.alloc(HANDSHAKE_BYTES, 0x41)
        for (let i = 0; i < m.clients; i++) {
          const s = connect(m.port, HOST)
          let got = 0
          s.on('connect', () => s.write(hello))
          s.on('data', (d: Buffer) => {
            got += d.length
            if (got >= m.bytesPerClient) {
              s.destroy()
              if (++done === m.clients) reply({ id: m.id, start, end: epochNow() })
            }
          })
          s.on('error', (err) => {
            process.stderr.write(`raw client error: ${err.message}\n`)
          })
        }
        return
      }
    }
  })
  process.send?.({ id: 0, ready: true })
}

/** Request/answer link to a forked process (each request carries an id its answer repeats). */
export class ChildProcessLink {
  #next = 1
  readonly #waiting = new Map<number, (r: Reply) => void>()
  constructor(readonly child: ChildProcess) {
    child.on('message', (r: Reply) => {
      const w = this.#waiting.get(r.id)
      this.#waiting.delete(r.id)
      w?.(r)
    })
  }

  /** Sends `msg` with a fresh id and resolves with its answer. */
  ask<T extends Reply>(msg: Record<string, unknown>): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve) => {
      this.#waiting.set(id, resolve as (r: Reply) => void)
      this.child.send({ ...msg, id })
    })
  }
}

/**
 * Starts a real etcd (Debian's `etcd-server`) on free loopback ports for tests, with a fresh data
 * folder. `restart()` keeps the data (to test reconnects); `stop()` removes everything.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { freePort, tempDir, type TempDir } from './net.js'
import { waitFor } from '../wait.js'

/** A running test etcd. */
export interface TestEtcd {
  /** Client URL, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string
  /** Stops the process (SIGTERM, then SIGKILL) but keeps the data folder. */
  kill(): Promise<void>
  /** Starts the process again on the same ports with the same data. */
  restart(): Promise<void>
  /** Stops the process and removes the data folder. Idempotent. */
  stop(): Promise<void>
}

/** Path of the etcd binary: `$ETCD_BIN` or `etcd` on PATH. */
export const ETCD_BIN = process.env['ETCD_BIN'] ?? 'etcd'

/** Starts etcd and waits until it answers `/health`. */
export async function startTestEtcd(): Promise<TestEtcd> {
  const dir: TempDir = await tempDir('cattail-etcd-')
  const clientPort = await freePort()
  const peerPort = await freePort()
  const endpoint = `http://127.0.0.1:${clientPort}`
  const peer = `http://127.0.0.1:${peerPort}`
  let proc: ChildProcess | undefined
  let stopped = false

  const launch = async (): Promise<void> => {
    const p = spawn(
      ETCD_BIN,
      [
        '--name',
        'test',
        '--data-dir',
        dir.path,
        '--listen-client-urls',
        endpoint,
        '--advertise-client-urls',
        endpoint,
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        `test=${peer}`,
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    )
    let stderr = ''
    p.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString()
    })
    proc = p
    await waitFor(
      async () => {
        if (p.exitCode !== null) throw new Error(`etcd exited with ${p.exitCode}: ${stderr}`)
        try {
          const res = await fetch(`${endpoint}/health`)
          return res.ok
        } catch {
          return false
        }
      },
      { timeoutMs: 15_000, intervalMs: 50, what: 'etcd to become healthy' }
    )
  }

  const kill = async (): Promise<void> => {
    const p = proc
    proc = undefined
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return
    const exited = once(p, 'exit')
    p.kill('SIGTERM')
    const t = setTimeout(() => p.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(t)
  }

  await launch()
  return {
    endpoint,
    kill,
    restart: launch,
    stop: async () => {
      if (stopped) return
      stopped = true
      await kill()
      await dir.remove()
    },
  }
}

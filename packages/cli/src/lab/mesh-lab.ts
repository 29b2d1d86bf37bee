/**
 * Runs cattail processes (caches, agents, etcd) inside a NetLab and lets callers wait on what they
 * log. Used by `cattail demo` and by the e2e tests.
 *
 * Each process's output lines are kept (bounded) so that `waitForLog` can look for a pino `msg`
 * (or any text) and failures can show the tail of a process's log.
 */
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { waitFor } from '@cattail/common'
import { etcdKeyFor, etcdValueFor } from '@cattail/datastore'
import type { Resource } from '@cattail/model'
import { NetLab, type LabNodeSpec } from './netlab.js'

/** A process started in the lab, with its captured output. */
export interface LabProcess {
  readonly name: string
  readonly ns: string
  readonly child: ChildProcess
  /** Output lines (stdout and stderr), most recent last; at most 5,000 kept. */
  readonly lines: string[]
}

const MAX_LINES = 5000

/** The `cattail` entry point and node flags to run it the way this process runs. */
export function cattailArgv(): string[] {
  const here = import.meta.url
  const fromSource = here.endsWith('.ts')
  const main = fileURLToPath(new URL(fromSource ? '../main.ts' : '../main.js', here))
  if (!existsSync(main)) throw new Error(`cattail entry point not found at ${main}`)
  const flags = fromSource ? ['--conditions=source', '--import', 'tsx'] : []
  return [process.execPath, ...flags, main]
}

/** A NetLab plus the cattail processes running in it. */
export class MeshLab {
  readonly processes = new Map<string, LabProcess>()

  private constructor(readonly net: NetLab) {}

  /** Builds the namespaces (see NetLab). */
  static async create(prefix: string, nodes: readonly LabNodeSpec[]): Promise<MeshLab> {
    return new MeshLab(await NetLab.create(prefix, nodes))
  }

  /** Starts `argv` in `ns` under `name` (unique). */
  start(name: string, ns: string, argv: readonly string[]): LabProcess {
    if (this.processes.has(name)) throw new Error(`process ${name} already started`)
    const lines: string[] = []
    const child = this.net.spawn(ns, argv, (line) => {
      lines.push(line)
      if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES)
    })
    const p: LabProcess = { name, ns, child, lines }
    this.processes.set(name, p)
    return p
  }

  /** Starts `cattail <args>` in `ns`. */
  startCattail(name: string, ns: string, args: readonly string[]): LabProcess {
    return this.start(name, ns, [...cattailArgv(), ...args])
  }

  /**
   * Starts a real etcd named `name` in the control namespace, serving `clientUrl` (a loopback URL
   * inside that namespace; the peer port is the client port + 1), with its data in `dataDir`, and
   * waits until it is healthy. Calling it again after `stop(name)` restarts it on the same data.
   */
  async startEtcd(name: string, clientUrl: string, dataDir: string): Promise<void> {
    const peer = clientUrl.replace(/(\d+)$/, (p) => String(Number(p) + 1))
    this.start(name, this.net.controlNs, [
      'etcd',
      '--name',
      name,
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      clientUrl,
      '--advertise-client-urls',
      clientUrl,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `${name}=${peer}`,
      '--log-level',
      'error',
    ])
    await waitFor(
      () =>
        this.net
          .exec(this.net.controlNs, 'etcdctl', '--endpoints', clientUrl, 'endpoint', 'health')
          .then(
            () => true,
            () => false
          ),
      { timeoutMs: 30_000, intervalMs: 100, what: `etcd ${name} to become healthy` }
    )
  }

  /** Writes resources into the etcd at `clientUrl` in Calico's layout (with etcdctl). */
  async etcdPut(clientUrl: string, resources: readonly Resource[]): Promise<void> {
    for (const r of resources) {
      await this.net.exec(
        this.net.controlNs,
        'etcdctl',
        '--endpoints',
        clientUrl,
        'put',
        etcdKeyFor(r),
        etcdValueFor(r)
      )
    }
  }

  /** Stops one process (SIGTERM) and forgets it. */
  async stop(name: string): Promise<void> {
    const p = this.processes.get(name)
    if (p === undefined) return
    await this.net.kill(p.child)
    this.processes.delete(name)
  }

  /**
   * Waits until process `name` has printed a line containing `text` (after the first `skip`
   * lines) and returns that line. Fails early if the process exits.
   */
  async waitForLog(name: string, text: string, timeoutMs = 60_000, skip = 0): Promise<string> {
    const p = this.processes.get(name)
    if (p === undefined) throw new Error(`no process ${name}`)
    try {
      return await waitFor(
        () => {
          const hit = p.lines.slice(skip).find((l) => l.includes(text))
          if (hit !== undefined) return hit
          if (p.child.exitCode !== null || p.child.signalCode !== null) {
            throw new Error(`${name} exited (${p.child.exitCode ?? p.child.signalCode})`)
          }
          return undefined
        },
        { timeoutMs, intervalMs: 50, what: `${name} to log "${text}"` }
      )
    } catch (err) {
      throw new Error(
        `${(err as Error).message}\n--- last lines of ${name} ---\n${this.tail(name)}`,
        {
          cause: err,
        }
      )
    }
  }

  /** The last `n` output lines of a process, for error messages. */
  tail(name: string, n = 30): string {
    return (this.processes.get(name)?.lines ?? []).slice(-n).join('\n')
  }

  /** Kills everything and removes the namespaces. Never throws. */
  async destroy(): Promise<void> {
    this.processes.clear()
    await this.net.destroy()
  }
}

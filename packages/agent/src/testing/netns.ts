/**
 * Network-namespace helpers for root tests and benchmarks: create/delete namespaces, run commands,
 * and drive the in-netns dataplane harness (netns-agent-main.ts) as a child process.
 * Everything here is for tests only; callers must delete what they create (after hooks/finally).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { waitFor } from '@cattail/common/testing'
import type { KVUpdate } from '@cattail/model'

const execFileP = promisify(execFile)

/** True when the process can create network namespaces. */
export const isRoot = (): boolean => process.getuid?.() === 0

/** Runs a command; resolves stdout, rejects (with stderr in the message) on failure. */
export async function sh(cmd: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { maxBuffer: 256 << 20 })
    return stdout
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr ?? e.message}`, { cause: err })
  }
}

/** Creates a network namespace with loopback up. */
export async function addNetns(name: string): Promise<void> {
  await sh('ip', 'netns', 'add', name)
  await sh('ip', '-n', name, 'link', 'set', 'lo', 'up')
}

/** Deletes a namespace if it exists (never throws). */
export async function delNetns(name: string): Promise<void> {
  try {
    await sh('ip', 'netns', 'del', name)
  } catch {
    // Already gone: cleanup is idempotent.
  }
}

/** Parsed JSON dump inside a namespace (`ip -n ns -j …` / `bridge -n ns -j …`). */
export async function nsJson<T>(
  ns: string,
  tool: 'ip' | 'bridge',
  ...args: string[]
): Promise<T[]> {
  const out = (await sh(tool, '-n', ns, '-j', ...args)).trim()
  return out === '' ? [] : (JSON.parse(out) as T[])
}

const here = dirname(fileURLToPath(import.meta.url))
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
/** Repository root (packages/agent/src/testing → ../../../..). */
export const REPO_ROOT = resolve(here, '../../../..')

/** One event printed by the harness. */
export interface HarnessEvent {
  readonly type: 'started' | 'ack' | 'applied' | 'error' | 'stopped' | 'http'
  readonly status?: 'programmed' | 'waiting'
  readonly changes?: number
  readonly mode?: 'none' | 'netlink' | 'batch'
  readonly resynced?: boolean
  readonly durationMs?: number
  /**
   * ms from the harness receiving the oldest update line this cycle covers to the cycle being
   * programmed (measured inside the agent process: no IPC in the figure); absent when the cycle
   * covered no newly received update.
   */
  readonly sinceUpdateMs?: number
  readonly cycle?: number
  readonly message?: string
  readonly netlinkRecreations?: number
  /** `http` answers of the daemon harness (netns-daemon-main.ts). */
  readonly id?: number
  readonly httpStatus?: number
  readonly body?: string
}

/** The dataplane harness running inside a namespace. */
export class NetnsAgent {
  readonly events: HarnessEvent[] = []
  readonly stderr: string[] = []
  readonly #waiters = new Set<(e: HarnessEvent) => void>()
  private constructor(private readonly child: ChildProcess) {}

  /** Resolves with the first event from now on matching `pred` (event-driven: for latency figures). */
  async next(pred: (e: HarnessEvent) => boolean, timeoutMs = 60_000): Promise<HarnessEvent> {
    return await new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#waiters.delete(w)
        reject(new Error('timed out waiting for harness event'))
      }, timeoutMs)
      const w = (e: HarnessEvent): void => {
        if (!pred(e)) return
        clearTimeout(t)
        this.#waiters.delete(w)
        resolve(e)
      }
      this.#waiters.add(w)
    })
  }

  /** Spawns the harness in `ns` and waits until it has started. */
  static async spawn(
    ns: string,
    nodeName: string,
    extraArgs: readonly string[] = [],
    harness: 'netns-agent-main' | 'netns-daemon-main' = 'netns-agent-main'
  ): Promise<NetnsAgent> {
    const entry = resolve(here, `${harness}${ext}`)
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        '--conditions=source',
        '--import',
        'tsx',
        entry,
        '--node-name',
        nodeName,
        ...extraArgs,
      ],
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] }
    )
    const agent = new NetnsAgent(child)
    createInterface({ input: child.stdout }).on('line', (l) => {
      try {
        const e = JSON.parse(l) as HarnessEvent
        agent.events.push(e)
        for (const w of [...agent.#waiters]) w(e)
      } catch {
        agent.stderr.push(l)
      }
    })
    createInterface({ input: child.stderr }).on('line', (l) => agent.stderr.push(l))
    await waitFor(() => agent.events.some((e) => e.type === 'started') || child.exitCode !== null, {
      timeoutMs: 60_000,
      what: `agent harness in ${ns}`,
    })
    if (child.exitCode !== null) throw new Error(`harness exited: ${agent.stderr.join('\n')}`)
    return agent
  }

  /** Sends updates (they are applied only once the gate is open). */
  send(
    msg:
      | { type: 'updates'; updates: readonly KVUpdate[] }
      | { type: 'gate'; open: boolean }
      | { type: 'resync' }
  ): void {
    this.child.stdin!.write(JSON.stringify(msg) + '\n')
  }

  /** Sends updates and waits until the harness has handed them to the manager. */
  async deliver(updates: readonly KVUpdate[], timeoutMs = 60_000): Promise<void> {
    const acks = this.events.filter((e) => e.type === 'ack').length
    this.send({ type: 'updates', updates })
    await waitFor(() => this.events.filter((e) => e.type === 'ack').length > acks, {
      timeoutMs,
      intervalMs: 1,
      what: 'updates ack',
    })
  }

  #httpId = 0

  /** Daemon harness only: GET `path` on the daemon's health or metrics port. */
  async http(
    port: 'health' | 'metrics',
    path: string
  ): Promise<{ readonly status: number; readonly body: string }> {
    const id = ++this.#httpId
    const answer = this.next((e) => e.type === 'http' && e.id === id, 60_000)
    this.child.stdin!.write(JSON.stringify({ type: 'http', id, port, path }) + '\n')
    const e = await answer
    return { status: e.httpStatus ?? 0, body: e.body ?? '' }
  }

  /** Number of apply cycles reported so far. */
  get cycles(): number {
    return this.events.filter((e) => e.type === 'applied' || e.type === 'error').length
  }

  /** Waits for an `applied` event after `afterCycles` cycles that matches `pred`. */
  async waitApplied(
    afterCycles: number,
    pred: (e: HarnessEvent) => boolean = () => true,
    timeoutMs = 20_000,
    intervalMs = 10
  ): Promise<HarnessEvent> {
    try {
      return await waitFor(
        () => {
          if (this.child.exitCode !== null)
            throw new Error(`harness exited: ${this.stderr.join('\n')}`)
          return this.events.find(
            (e) => e.type === 'applied' && (e.cycle ?? 0) > afterCycles && pred(e)
          )
        },
        { timeoutMs, intervalMs, what: 'dataplane applied' }
      )
    } catch (err) {
      const recent = JSON.stringify(this.events.slice(-5))
      throw new Error(
        `${err instanceof Error ? err.message : 'failed'}; recent events: ${recent}; stderr: ${this.stderr.slice(-5).join(' | ')}`,
        { cause: err }
      )
    }
  }

  /** Asks the harness to stop and waits for it to exit (kills it after 5 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()))
    this.child.stdin!.end(JSON.stringify({ type: 'stop' }) + '\n')
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(t)
  }

  /** Kills the harness immediately (simulates a crash); never waits more than 5 s. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise<void>((r) => {
      this.child.once('exit', () => r())
      setTimeout(r, 5000).unref()
    })
    this.child.kill('SIGKILL')
    await exited
  }
}

/** `ip -n ns monitor …` collecting lines, with marker events to bracket a window. */
export class NetnsMonitor {
  readonly lines: string[] = []
  #markers = 0
  private constructor(
    private readonly ns: string,
    private readonly child: ChildProcess
  ) {}

  /**
   * Starts the monitor and waits until it provably receives events. `ip monitor` subscribes a
   * moment after it is spawned, so a marker added before that is never seen: markers are retried
   * until one shows up. On failure the monitor process is killed before rethrowing.
   */
  static async start(ns: string, attempts = 20): Promise<NetnsMonitor> {
    const child = spawn('ip', ['-n', ns, 'monitor', 'link', 'address', 'route', 'neigh'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    const m = new NetnsMonitor(ns, child)
    createInterface({ input: child.stdout }).on('line', (l) => m.lines.push(l))
    for (let i = 1; ; i++) {
      try {
        await m.mark(1000)
        return m
      } catch (err) {
        if (i >= attempts || child.exitCode !== null) {
          m.stop()
          throw err
        }
      }
    }
  }

  /** Adds and waits for a marker event (an address on lo); returns the line count before it. */
  async mark(timeoutMs = 20_000): Promise<number> {
    const before = this.lines.length
    const n = ++this.#markers
    const addr = `198.18.255.${n}/32`
    await sh('ip', '-n', this.ns, 'addr', 'add', addr, 'dev', 'lo')
    try {
      await waitFor(() => this.lines.slice(before).some((l) => l.includes(`198.18.255.${n}/32`)), {
        timeoutMs,
        what: 'monitor marker',
      })
    } finally {
      await sh('ip', '-n', this.ns, 'addr', 'del', addr, 'dev', 'lo')
    }
    const idx = this.lines.findIndex((l, i) => i >= before && l.includes(`198.18.255.${n}/32`))
    return idx
  }

  /** Lines strictly between two marker indexes that are not marker noise. */
  between(from: number, to: number): string[] {
    return this.lines
      .slice(from + 1, to)
      .filter((l) => !l.includes('198.18.255.') && !/dev lo\b/.test(l))
  }

  stop(): void {
    this.child.kill('SIGKILL')
  }
}

/**
 * The one place the agent runs child processes (ip and bridge today; iptables-restore, ipset and
 * friends for the policy dataplane): every process has a deadline, past which it is killed with
 * SIGKILL and the caller gets a CommandTimeoutError. A hung tool (a kernel lock, an xtables lock
 * held by someone else, a stuck netns) therefore fails one apply, which the dataplane loop retries
 * with a resync, instead of freezing the agent for ever.
 *
 * Two shapes: {@link runCommand} (run, feed stdin, collect stdout) and {@link startCommand} (a
 * process fed in chunks, such as `ip -batch -`, whose deadline can be re-armed as input is
 * written). Both settle exactly once and never leave a process behind: an aborted signal or a
 * deadline kills the child, and the promise settles on its `close`.
 */
import { spawn } from 'node:child_process'
import { errorMessage } from '@cattail/common'
import type { Writable } from 'node:stream'
import { CommandError, CommandTimeoutError } from '../../errors.js'

/** Default deadline of one child process. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000

/** Extra deadline per input line of a batch (`ip -batch`, `iptables-restore`): 10k lines = +10 s. */
export const BATCH_TIMEOUT_MS_PER_LINE = 1

/** Options of {@link startCommand} and {@link runCommand}. */
export interface CommandOptions {
  /** Kill (SIGKILL) and reject with CommandTimeoutError past this many ms; 0 = no deadline. @default 10000 */
  readonly timeoutMs?: number
  /** Kills the child when aborted (the promise rejects with the abort reason). */
  readonly signal?: AbortSignal
  /** Collect stdout (else it is discarded). @default true */
  readonly captureStdout?: boolean
  /** How the command is named in errors. @default the command and its first 3 arguments */
  readonly label?: string
}

/** A started child process. */
export interface RunningCommand {
  /** Process id (undefined when the spawn failed). */
  readonly pid: number | undefined
  /** The child's stdin (EPIPE after an early exit is swallowed: the exit code reports it). */
  readonly stdin: Writable
  /** Resolves stdout on exit 0; rejects with CommandError, CommandTimeoutError or a spawn error. */
  readonly done: Promise<string>
  /** The process must exit within `ms` from now (replaces the current deadline; 0 = none). */
  setDeadline(ms: number): void
}

/** Starts `cmd args…` under a deadline; see the file comment. */
export function startCommand(
  cmd: string,
  args: readonly string[],
  o: CommandOptions = {}
): RunningCommand {
  const label = o.label ?? [cmd, ...args.slice(0, 3)].join(' ')
  const child = spawn(cmd, [...args], {
    stdio: ['pipe', o.captureStdout === false ? 'ignore' : 'pipe', 'pipe'],
  })
  const { stdin, stderr } = child
  // Both are pipes (stdio above); the types cannot know that.
  if (stdin === null || stderr === null) throw new Error('child process without pipes')
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout?.on('data', (b: Buffer) => out.push(b))
  stderr.on('data', (b: Buffer) => err.push(b))
  stdin.on('error', () => {
    // EPIPE when the tool exits early; the exit code reports the failure.
  })
  let timer: NodeJS.Timeout | undefined
  let timedOutAfter: number | undefined
  let aborted: unknown
  let exited = false
  const kill = (): void => {
    if (!exited) child.kill('SIGKILL')
  }
  const setDeadline = (ms: number): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (ms <= 0 || exited) return
    timer = setTimeout(() => {
      timedOutAfter = ms
      kill()
    }, ms)
  }
  const onAbort = (): void => {
    aborted = o.signal?.reason ?? new Error('aborted')
    kill()
  }
  const done = new Promise<string>((resolve, reject) => {
    let settled = false
    const settle = (e: unknown, stdout?: string): void => {
      if (settled) return
      settled = true
      exited = true
      if (timer !== undefined) clearTimeout(timer)
      o.signal?.removeEventListener('abort', onAbort)
      if (e === undefined) resolve(stdout ?? '')
      else reject(e instanceof Error ? e : new Error(errorMessage(e)))
    }
    // Spawn failure (ENOENT …): 'close' may not follow, so settle here.
    child.on('error', (e) => settle(e))
    child.on('exit', () => {
      exited = true
      // Killed by us: settle now. A grandchild holding the pipes open must not delay the error.
      if (timedOutAfter === undefined && aborted === undefined) return
      child.stdout?.destroy()
      stderr.destroy()
      settle(timedOutAfter !== undefined ? new CommandTimeoutError(label, timedOutAfter) : aborted)
    })
    child.on('close', (code) => {
      if (timedOutAfter !== undefined) settle(new CommandTimeoutError(label, timedOutAfter))
      else if (aborted !== undefined) settle(aborted)
      else if (code === 0) settle(undefined, Buffer.concat(out).toString('utf8'))
      else settle(new CommandError(label, code, Buffer.concat(err).toString('utf8')))
    })
  })
  // Observed by the caller; this only keeps an early failure from being unhandled meanwhile.
  done.catch(() => undefined)
  if (o.signal?.aborted === true) onAbort()
  else o.signal?.addEventListener('abort', onAbort, { once: true })
  setDeadline(o.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS)
  return { pid: child.pid, stdin, done, setDeadline }
}

/** Runs `cmd args…` to completion, feeding `stdin`; resolves stdout. See {@link startCommand}. */
export async function runCommand(
  cmd: string,
  args: readonly string[],
  o: CommandOptions & { readonly stdin?: string } = {}
): Promise<string> {
  const c = startCommand(cmd, args, o)
  c.stdin.end(o.stdin ?? '')
  return await c.done
}

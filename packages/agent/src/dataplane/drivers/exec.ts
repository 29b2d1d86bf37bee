/**
 * Runs firewall tools (`iptables-*`, `ipset`, `ip`) as child processes with a deadline each: a
 * hung tool (e.g. waiting on the xtables lock) is killed and reported as a CommandError, never
 * left blocking the dataplane loop. With `netns` every command runs through `ip netns exec`
 * (tests drive a namespace from the outside; iptables and ipset have no `-n` option).
 */
import { spawn } from 'node:child_process'
import { CommandError } from '../../errors.js'

/** Options of one run. */
export interface RunOptions {
  readonly stdin?: string
  /** Deadline in ms (default: the runner's). */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}

/** What the drivers need to run a tool (a fake can record calls in unit tests). */
export interface ToolRunner {
  /** Runs `tool args…`; resolves stdout, rejects with CommandError on rc ≠ 0 or deadline. */
  run(tool: string, args: readonly string[], opts?: RunOptions): Promise<string>
}

/** Spawns real processes. */
export class ExecRunner implements ToolRunner {
  /**
   * @param netns run inside this named netns (via `ip netns exec`); undefined = our own
   * @param timeoutMs default deadline of one command
   */
  constructor(
    readonly netns?: string,
    private readonly timeoutMs = 30_000
  ) {}

  async run(tool: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
    const [cmd, argv] =
      this.netns === undefined
        ? [tool, [...args]]
        : ['ip', ['netns', 'exec', this.netns, tool, ...args]]
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs
    return await new Promise((resolve, reject) => {
      const child = spawn(cmd, argv, {
        stdio: ['pipe', 'pipe', 'pipe'],
        ...(opts.signal && { signal: opts.signal }),
      })
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        child.kill('SIGKILL')
      }, timeoutMs)
      const out: Buffer[] = []
      const err: Buffer[] = []
      child.stdout.on('data', (b: Buffer) => out.push(b))
      child.stderr.on('data', (b: Buffer) => err.push(b))
      child.on('error', (e) => {
        clearTimeout(timer)
        reject(e)
      })
      child.stdin.on('error', () => {
        // EPIPE when the tool exits early; the exit code reports the failure.
      })
      child.on('close', (code) => {
        clearTimeout(timer)
        if (code === 0 && !timedOut) resolve(Buffer.concat(out).toString('utf8'))
        else
          reject(
            new CommandError(
              `${tool} ${args.slice(0, 4).join(' ')}`,
              code,
              timedOut
                ? `killed after the ${timeoutMs} ms deadline`
                : Buffer.concat(err).toString('utf8')
            )
          )
      })
      child.stdin.end(opts.stdin ?? '')
    })
  }
}

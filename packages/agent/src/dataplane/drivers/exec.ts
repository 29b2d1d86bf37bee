/**
 * Runs firewall tools (`iptables-*`, `ipset`, `ip`) as child processes through the agent's one
 * process helper (child-process.ts), so each has a deadline: a hung tool (e.g. waiting on the
 * xtables lock) is killed and reported as a CommandTimeoutError, never left blocking the
 * dataplane loop. With `netns` every command runs through `ip netns exec`
 * (tests drive a namespace from the outside; iptables and ipset have no `-n` option).
 */
import { runCommand } from './child-process.js'

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

  run(tool: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
    const [cmd, argv] =
      this.netns === undefined
        ? [tool, [...args]]
        : ['ip', ['netns', 'exec', this.netns, tool, ...args]]
    return runCommand(cmd, argv, {
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      label: `${tool} ${args.slice(0, 4).join(' ')}`,
      ...(opts.signal !== undefined && { signal: opts.signal }),
      ...(opts.stdin !== undefined && { stdin: opts.stdin }),
    })
  }
}

/**
 * iproute2 adapter: runs `ip` and `bridge` (optionally inside a named netns with `-n`), parses
 * their JSON dumps, and feeds batches through `-force -batch -` on stdin. Batches are the fastest
 * way to program thousands of FDB/ARP entries (deps.md §1.4), and a crashed child process cannot
 * take the agent down with it. Every command runs under a deadline (child-process.ts), so a hung
 * tool fails one apply instead of the agent.
 */
import {
  BATCH_TIMEOUT_MS_PER_LINE,
  DEFAULT_COMMAND_TIMEOUT_MS,
  runCommand,
  startCommand,
} from './child-process.js'

/** Options of {@link Iproute2}. */
export interface Iproute2Options {
  /** Deadline of one command (batches: plus 1 ms per line); see child-process.ts. @default 10000 */
  readonly timeoutMs?: number
}

/** Runs iproute2 tools, each under a deadline (child-process.ts). */
export class Iproute2 {
  readonly #timeoutMs: number

  /** @param netns run every command in this named netns (`ip -n`); undefined = our own netns. */
  constructor(
    private readonly netns?: string,
    o: Iproute2Options = {}
  ) {
    this.#timeoutMs = o.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
  }

  /**
   * Runs `tool args…`, feeding `stdin`; resolves stdout, rejects with CommandError on rc ≠ 0 and
   * CommandTimeoutError when it outlives its deadline (it is killed).
   */
  async run(
    tool: 'ip' | 'bridge',
    args: readonly string[],
    stdin?: string,
    signal?: AbortSignal
  ): Promise<string> {
    const argv = this.netns === undefined ? [...args] : ['-n', this.netns, ...args]
    const lines = stdin === undefined ? 0 : stdin.split('\n').length
    return await runCommand(tool, argv, {
      ...(stdin !== undefined && { stdin }),
      ...(signal && { signal }),
      timeoutMs: this.#deadline(lines),
      label: `${tool} ${argv.slice(0, 4).join(' ')}`,
    })
  }

  #deadline(lines: number): number {
    return this.#timeoutMs <= 0 ? 0 : this.#timeoutMs + lines * BATCH_TIMEOUT_MS_PER_LINE
  }

  /** Runs a JSON dump (`-j` is added) and parses it; empty output parses as []. */
  async json<T>(
    tool: 'ip' | 'bridge',
    args: readonly string[],
    signal?: AbortSignal
  ): Promise<T[]> {
    const out = await this.run(tool, ['-j', ...args], undefined, signal)
    const text = out.trim()
    return text === '' ? [] : (JSON.parse(text) as T[])
  }

  /** Runs `tool -force -batch -` with the given lines; rejects when any line failed. */
  async batch(
    tool: 'ip' | 'bridge',
    lines: readonly string[],
    signal?: AbortSignal
  ): Promise<void> {
    if (lines.length === 0) return
    await this.run(tool, ['-force', '-batch', '-'], lines.join('\n') + '\n', signal)
  }

  /**
   * Starts `tool -force -batch -` and returns a writer, so lines can be rendered and streamed in
   * chunks while the tool is already programming the kernel (render and kernel work overlap).
   * `end()` resolves when the tool exited 0 and rejects with CommandError otherwise.
   */
  openBatch(tool: 'ip' | 'bridge', signal?: AbortSignal): BatchWriter {
    const argv =
      this.netns === undefined
        ? ['-force', '-batch', '-']
        : ['-n', this.netns, '-force', '-batch', '-']
    const child = startCommand(tool, argv, {
      ...(signal && { signal }),
      captureStdout: false,
      timeoutMs: this.#deadline(0),
      label: `${tool} -force -batch -`,
    })
    let lines = 0
    let exited = false
    const closed = child.done.then(
      () => (exited = true),
      () => (exited = true)
    )
    return {
      get lines() {
        return lines
      },
      write: async (chunk: readonly string[]): Promise<void> => {
        if (chunk.length === 0) return
        lines += chunk.length
        // The deadline grows with the input: the tool must finish what it was given in time.
        child.setDeadline(this.#deadline(lines))
        if (exited) return
        if (!child.stdin.write(chunk.join('\n') + '\n')) {
          await Promise.race([
            new Promise<void>((resolve) => child.stdin.once('drain', resolve)),
            closed,
          ])
        }
      },
      end: async (): Promise<void> => {
        child.setDeadline(this.#deadline(lines))
        child.stdin.end()
        await child.done
      },
    }
  }
}

/** A running `-batch -` process fed in chunks. */
export interface BatchWriter {
  /** Lines written so far. */
  readonly lines: number
  /** Writes lines, waiting for the pipe to drain when it is full. */
  write(chunk: readonly string[]): Promise<void>
  /** Closes stdin and waits for the tool; rejects if any line failed. */
  end(): Promise<void>
}

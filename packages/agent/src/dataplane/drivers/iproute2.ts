/**
 * iproute2 adapter: runs `ip` and `bridge` (optionally inside a named netns with `-n`), parses
 * their JSON dumps, and feeds batches through `-force -batch -` on stdin. Batches are the fastest
 * way to program thousands of FDB/ARP entries (deps.md §1.4), and a crashed child process cannot
 * take the agent down with it.
 */
import { spawn } from 'node:child_process'
import { CommandError } from '../../errors.js'

/** Runs iproute2 tools. */
export class Iproute2 {
  /** @param netns run every command in this named netns (`ip -n`); undefined = our own netns. */
  constructor(private readonly netns?: string) {}

  /** Runs `tool args…`, feeding `stdin`; resolves stdout, rejects with CommandError on rc ≠ 0. */
  async run(
    tool: 'ip' | 'bridge',
    args: readonly string[],
    stdin?: string,
    signal?: AbortSignal
  ): Promise<string> {
    const argv = this.netns === undefined ? [...args] : ['-n', this.netns, ...args]
    return await new Promise((resolve, reject) => {
      const child = spawn(tool, argv, {
        stdio: ['pipe', 'pipe', 'pipe'],
        ...(signal && { signal }),
      })
      const out: Buffer[] = []
      const err: Buffer[] = []
      child.stdout.on('data', (b: Buffer) => out.push(b))
      child.stderr.on('data', (b: Buffer) => err.push(b))
      child.on('error', reject)
      child.stdin.on('error', () => {
        // EPIPE when the tool exits early; the exit code reports the failure.
      })
      child.on('close', (code) => {
        const stdout = Buffer.concat(out).toString('utf8')
        if (code === 0) resolve(stdout)
        else
          reject(
            new CommandError(
              `${tool} ${argv.slice(0, 4).join(' ')}`,
              code,
              Buffer.concat(err).toString('utf8')
            )
          )
      })
      child.stdin.end(stdin ?? '')
    })
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
    const child = spawn(tool, argv, {
      stdio: ['pipe', 'ignore', 'pipe'],
      ...(signal && { signal }),
    })
    const err: Buffer[] = []
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.stdin.on('error', () => {
      // EPIPE when the tool exits early; the exit code reports the failure.
    })
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', (code) => {
        if (code === 0) resolve()
        else
          reject(
            new CommandError(`${tool} -force -batch -`, code, Buffer.concat(err).toString('utf8'))
          )
      })
    })
    // Observed by end(); this handler only keeps an early failure from being unhandled meanwhile.
    done.catch(() => undefined)
    let lines = 0
    return {
      get lines() {
        return lines
      },
      async write(chunk: readonly string[]): Promise<void> {
        if (chunk.length === 0) return
        lines += chunk.length
        if (!child.stdin.write(chunk.join('\n') + '\n')) {
          await new Promise<void>((resolve) => {
            child.stdin.once('drain', resolve)
            child.once('close', resolve)
          })
        }
      },
      async end(): Promise<void> {
        child.stdin.end()
        await done
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

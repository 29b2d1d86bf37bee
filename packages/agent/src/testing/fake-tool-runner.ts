/**
 * A ToolRunner that touches no kernel (tests only): dumps answer from `outputs` (empty by
 * default: an empty ipset list, empty tables, no routes) and every call is recorded.
 */
import type { RunOptions, ToolRunner } from '../dataplane/drivers/exec.js'

/** One recorded call. */
export interface ToolCall {
  readonly tool: string
  readonly args: readonly string[]
  readonly stdin: string
}

/** Records calls; `outputs` maps `"<tool> <args…>"` to stdout. */
export class FakeToolRunner implements ToolRunner {
  readonly calls: ToolCall[] = []
  readonly outputs = new Map<string, string>()

  run(tool: string, args: readonly string[], opts?: RunOptions): Promise<string> {
    this.calls.push({ tool, args, stdin: opts?.stdin ?? '' })
    const out = this.outputs.get(`${tool} ${args.join(' ')}`.trim())
    if (out !== undefined) return Promise.resolve(out)
    return Promise.resolve(tool === 'ip' && args[0] === '-j' ? '[]' : '')
  }

  /** Calls that would change the kernel. */
  writes(): ToolCall[] {
    return this.calls.filter(
      (c) => c.tool.endsWith('-restore') || c.args[0] === 'restore' || c.args.includes('-batch')
    )
  }
}

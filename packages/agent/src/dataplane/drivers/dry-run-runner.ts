/**
 * The policy dataplane's dry run (`cattail agent --dry-run true`, the root-less demo): a
 * ToolRunner that prints every write it would make (`ipset restore`, `iptables-restore`,
 * `ip -batch` with their input lines) and answers every read (`*-save`, `ipset save`,
 * `ip … show`) as an empty kernel would. The policy driver then plans exactly what it would
 * program on a fresh node, and diffs incrementally from there as it does for real.
 */
import type { RunOptions, ToolRunner } from './exec.js'

/** True for the commands that only read kernel state. */
function isRead(tool: string, args: readonly string[]): boolean {
  if (tool.endsWith('-save')) return true
  if (tool === 'ipset') return args[0] === 'save' || args[0] === 'list'
  if (tool === 'ip') return args.includes('show')
  return false
}

/** Prints writes, answers reads with nothing (see the file comment). */
export class DryRunToolRunner implements ToolRunner {
  /** @param print receives one line per command and one indented line per input line */
  constructor(private readonly print: (line: string) => void) {}

  run(tool: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
    if (isRead(tool, args)) return Promise.resolve('')
    this.print(`${tool} ${args.join(' ')}`)
    for (const line of (opts.stdin ?? '').split('\n'))
      if (line.trim() !== '') this.print(`  ${line}`)
    return Promise.resolve('')
  }
}

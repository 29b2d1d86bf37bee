#!/usr/bin/env node
/**
 * Entry point of the `cattail` binary: parses the command line and turns failures into clear
 * messages and exit codes (2 for usage and configuration errors, 1 for everything else).
 */
import { CommanderError } from 'commander'
import { isMeshError } from '@cattail/common'
import { buildProgram } from './program.js'

/** Runs the CLI with `argv` (default: the process's). Resolves to the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv])
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; parse errors were already printed by commander
      return err.exitCode === 0 ? 0 : 2
    }
    if (isMeshError(err, 'ERR_CONFIG')) {
      process.stderr.write(`cattail: ${err.message}\n`)
      return 2
    }
    process.stderr.write(`cattail: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}

const code = await main()
process.exitCode = code

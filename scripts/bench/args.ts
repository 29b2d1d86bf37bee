/** Command-line helpers shared by the benchmarks. */

/** True when the run asked for the seconds-long size (`--quick`). */
export const isQuick = (argv: readonly string[]): boolean => argv.includes('--quick')

/** Reads `--<name> <positive number>` (an integer when `integer`), or returns `dflt`. */
export function numberArg(
  argv: readonly string[],
  name: string,
  dflt: number,
  integer = false
): number {
  const i = argv.indexOf(`--${name}`)
  if (i < 0) return dflt
  const v = Number(argv[i + 1])
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new Error(`--${name} needs a positive ${integer ? 'integer' : 'number'}`)
  }
  return v
}

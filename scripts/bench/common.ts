/**
 * The machinery every benchmark shares: alternated repetitions, median and spread, targets checked
 * in code, the readable table, the last JSON line and the exit code.
 *
 * Design:
 * - A like-for-like comparison runs both sides in one process, one after the other, and swaps
 *   their order on every repetition ({@link alternate}), so that neither side always runs on the
 *   caches, heap and CPU frequency the other one left behind.
 * - A figure repeated n times is reported as its median and its spread ({@link summarize}); a
 *   ratio is computed per repetition (same repetition, same state) and then summarized.
 * - Targets are data ({@link Target}), checked against the figures by {@link finish}, which prints
 *   the JSON line `{"bench":…, <figures>, "targets":{…}, "pass":{…}, "quick":…}` and sets the exit
 *   code: non-zero when a target is missed.
 * - `--quick` runs sizes far below the ones the targets are stated for. A quick run still computes
 *   `pass` honestly from its own figures (a miss is printed as a miss) but does not fail the process
 *   on a miss: `"enforced": false` in its JSON line says so. The tests run `--quick` and check the
 *   shape of the line; the full sizes are what the targets judge.
 */

/** One target: `figure` (a key of the figures) compared with `limit`. */
export interface Target {
  readonly figure: string
  readonly op: '<=' | '>=' | '<' | '>'
  readonly limit: number
}

/** Median and spread of repeated measurements. */
export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly n: number
}

/** Median, min and max of `xs` (NaN when empty). */
export function summarize(xs: readonly number[]): Summary {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n }
  const median = n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2
  return { median, min: s[0]!, max: s[n - 1]!, n }
}

/** The p-th percentile (0–100) of already sorted `sorted`, nearest rank below. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/** Mean of `xs` (NaN when empty). */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length
}

/** One side of a comparison: runs once per repetition and returns its figure. */
export interface Side<T> {
  readonly name: string
  run(rep: number): Promise<T> | T
}

/**
 * Runs every side `reps` times, rotating their order each repetition (A B, B A, … for two sides),
 * and returns each side's results in repetition order (index r of every side: the same repetition).
 */
export async function alternate<T>(
  reps: number,
  sides: readonly Side<T>[]
): Promise<Map<string, T[]>> {
  const out = new Map<string, T[]>(sides.map((s) => [s.name, []]))
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? sides : [...sides].reverse()
    for (const s of order) out.get(s.name)!.push(await s.run(r))
  }
  return out
}

/** Rounds to two decimals (figures in the JSON line). */
export const r2 = (x: number): number => Math.round(x * 100) / 100

/** Text of a summary: `median (min–max, n=…)`. */
export function fmtSummary(s: Summary, unit = '', digits = 2): string {
  const f = (x: number): string => x.toFixed(digits)
  return `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)}, n=${s.n})`
}

/** Prints a titled two- or three-column table. */
export function printTable(title: string, rows: readonly (readonly string[])[]): void {
  const widths: number[] = []
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)))
  console.log(title)
  for (const row of rows) {
    console.log(
      '  ' +
        row
          .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd()
    )
  }
}

/** Whether `value` meets `t` (NaN never does). */
export function meets(value: number, t: Target): boolean {
  if (!Number.isFinite(value)) return false
  switch (t.op) {
    case '<=':
      return value <= t.limit
    case '>=':
      return value >= t.limit
    case '<':
      return value < t.limit
    case '>':
      return value > t.limit
  }
}

/** The verdict of one run. */
export interface Verdict {
  readonly pass: Record<string, boolean>
  readonly allPass: boolean
}

/** Checks `figures` against `targets` (a target naming a missing figure is a miss). */
export function judge(figures: Record<string, unknown>, targets: readonly Target[]): Verdict {
  const pass: Record<string, boolean> = {}
  for (const t of targets) {
    const v = figures[t.figure]
    pass[t.figure] = typeof v === 'number' && meets(v, t)
  }
  return { pass, allPass: Object.values(pass).every(Boolean) }
}

/**
 * Prints the targets with their verdicts, then the JSON line (always the last line of stdout), and
 * sets `process.exitCode` to 1 when a target is missed in a full run (see the file comment for
 * `--quick`). Returns the verdict.
 */
export function finish(
  bench: string,
  figures: Record<string, number | string | boolean>,
  targets: readonly Target[],
  quick: boolean
): Verdict {
  const verdict = judge(figures, targets)
  const rows = targets.map((t) => [
    t.figure,
    String(figures[t.figure]),
    `${t.op} ${t.limit}`,
    verdict.pass[t.figure] ? 'met' : quick ? 'MISSED (--quick: not enforced)' : 'MISSED',
  ])
  printTable('targets', rows)
  const line = {
    bench,
    ...figures,
    targets: Object.fromEntries(targets.map((t) => [t.figure, `${t.op} ${t.limit}`])),
    pass: verdict.pass,
    quick,
    enforced: !quick,
  }
  console.log(JSON.stringify(line))
  if (!verdict.allPass && !quick) process.exitCode = 1
  return verdict
}

/** Runs `main`, printing an error and exiting 1 if it throws; exits with process.exitCode otherwise. */
export function runBench(main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .then(
      () => process.exit(process.exitCode ?? 0),
      (err: unknown) => {
        console.error(err)
        process.exit(1)
      }
    )
}

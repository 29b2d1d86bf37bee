/**
 * The fan-out benchmark's options (command line, via args.ts) and process set-up (gc, the
 * open-files limit).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { DEFAULT_SYNC_SERVER_CONFIG } from '@cattail/cache'
import { isQuick, numberArg } from './args.js'
import { defaultWorkers } from './fanout-decode.js'

/** Sizes and rates of one run. */
export interface Options {
  readonly quick: boolean
  readonly endpoints: number
  readonly clients: number
  readonly churnSeconds: number
  readonly changesPerSecond: number
  /** Server high-water mark per client (ws.bufferedAmount), bytes. */
  readonly highWaterBytes: number
  readonly reps: number
  /** Endpoints of the decoding case and the storm (every client holds them all). */
  readonly decodeEndpoints: number
  /** Real SyncClients of the decoding case and the storm. */
  readonly decodeClients: number
  /** Worker processes holding the decoding clients. */
  readonly workers: number
  readonly decodeReps: number
}

/** Reads the options from `argv` (see the usage line in fanout.ts). */
export function parseArgs(argv: readonly string[]): Options {
  const quick = isQuick(argv)
  const num = (name: string, dflt: number): number => numberArg(argv, name, dflt, true)
  const clients = num('clients', quick ? 50 : 1_000)
  return {
    quick,
    endpoints: num('endpoints', quick ? 5_000 : 100_000),
    clients,
    churnSeconds: numberArg(argv, 'churn-seconds', quick ? 2 : 10),
    changesPerSecond: num('rate', 500),
    highWaterBytes: num('high-water-bytes', DEFAULT_SYNC_SERVER_CONFIG.highWaterBytes),
    reps: num('reps', quick ? 2 : 5),
    decodeEndpoints: num('decode-endpoints', quick ? 1_000 : 2_000),
    decodeClients: num('decode-clients', clients),
    workers: num('workers', defaultWorkers()),
    decodeReps: num('decode-reps', quick ? 1 : 5),
  }
}

/** The `gc` function (the benchmark runs with --expose-gc; this works without it too). */
export function getGc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

/** Re-executes the running script with a higher open-files limit when the current one is too low. */
export function ensureFileLimit(needed: number): void {
  const soft = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim())
  if (!Number.isFinite(soft) || soft >= needed || process.env['CATTAIL_BENCH_REEXEC'] === '1')
    return
  const args = [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)]
  const r = spawnSync(
    'sh',
    ['-c', `ulimit -n ${needed} && exec "$0" "$@"`, process.execPath, ...args],
    {
      stdio: 'inherit',
      env: { ...process.env, CATTAIL_BENCH_REEXEC: '1' },
    }
  )
  process.exit(r.status ?? 1)
}

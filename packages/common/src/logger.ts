/**
 * Logger factory (pino). `main.ts` of each binary creates one root logger; components get
 * `root.child({ component })`. Messages are constant strings; variables go in fields.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger } from 'pino'

/** The binaries that create a root logger. */
export type BinaryName = 'cache' | 'agent' | 'federation' | 'cli' | 'demo' | 'bench'

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS: readonly LevelWithSilent[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
]

/**
 * Creates the process's root logger, writing JSON lines to stdout.
 * Credentials are redacted wherever they appear under the usual field names.
 */
export function createRootLogger(level: LevelWithSilent, binary: BinaryName): Logger {
  return pino({
    level,
    base: { binary, pid: process.pid },
    redact: {
      paths: ['*.password', '*.token', '*.etcdPassword', '*.k8sAPIToken', '*.kubeconfig', '*.key'],
      censor: '[redacted]',
    },
  })
}

/** A logger that drops everything (unit tests, benchmarks). */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' })
}

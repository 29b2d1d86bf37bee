/**
 * Declarative command-line options shared by every daemon's `config.ts`.
 *
 * # Precedence
 * default < config file (YAML, `--config-file`) < environment (`<PREFIX>_*`) < flag. Commander
 * resolves default/env/flag itself and records each option's source; {@link applyConfigFile} then
 * gives every option still at its default the file's value (source `config`). Values stay as given
 * (strings from flags and env, YAML scalars from the file) until {@link readOptionValues}
 * converts and checks them all in one pass, collecting every problem, so that the daemon's
 * `parseConfig` can throw one `ConfigError` listing everything at once.
 * File keys are the options' camelCase names (`--etcd-endpoints` → `etcdEndpoints`).
 */
import { readFile } from 'node:fs/promises'
import { Option, type Command } from 'commander'
import { parse as parseYaml } from 'yaml'
import { ConfigError, errorMessage } from './errors.js'

/** How an option's raw value is converted. */
export type OptionKind = 'string' | 'int' | 'bool' | 'list'

/** One option: flag, env var, default and help, plus how its raw value is converted. */
export interface OptionSpec {
  /** Commander attribute name = config-file key (camelCase). */
  readonly key: string
  /** e.g. `--etcd-endpoints <urls>` */
  readonly flag: string
  readonly kind: OptionKind
  readonly help: string
  readonly default?: string
  readonly choices?: readonly string[]
  /** Never logged. */
  readonly secret?: boolean
}

/** `etcdEndpoints` with prefix `CATTAIL_CACHE` → `CATTAIL_CACHE_ETCD_ENDPOINTS`. */
export function envNameFor(prefix: string, key: string): string {
  return `${prefix}_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`
}

/** `etcdEndpoints` → `etcd-endpoints`. */
export function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
}

/** Adds `--config-file` and every option (with env var, default and choices) to `cmd`. */
export function addOptions(cmd: Command, specs: readonly OptionSpec[], envPrefix: string): Command {
  cmd.addOption(
    new Option(
      '--config-file <file>',
      'YAML file of option values (keys are camelCase option names)'
    ).env(envNameFor(envPrefix, 'configFile'))
  )
  for (const o of specs) {
    const opt = new Option(o.flag, o.help).env(envNameFor(envPrefix, o.key))
    if (o.default !== undefined) opt.default(o.default)
    if (o.choices !== undefined) opt.choices(o.choices)
    cmd.addOption(opt)
  }
  return cmd
}

/** Raw option values after precedence was applied. */
export type RawOptions = Readonly<Record<string, unknown>>

/**
 * Reads `--config-file` (if set) into every option still at its default and returns the raw
 * values. Unknown keys and unreadable or non-map files are ConfigErrors.
 */
export async function applyConfigFile(
  cmd: Command,
  specs: readonly OptionSpec[]
): Promise<RawOptions> {
  const file = cmd.opts<Record<string, unknown>>()['configFile']
  if (typeof file !== 'string' || file === '') return cmd.opts()
  let doc: unknown
  try {
    doc = parseYaml(await readFile(file, 'utf8'))
  } catch (err) {
    throw new ConfigError([`--config-file ${file}: ${errorMessage(err)}`])
  }
  if (doc === null || doc === undefined) return cmd.opts()
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError([`--config-file ${file}: expected a map of option names to values`])
  }
  const known = new Set(specs.map((o) => o.key))
  const problems: string[] = []
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (!known.has(k)) {
      problems.push(`--config-file ${file}: unknown key ${JSON.stringify(k)}`)
      continue
    }
    const source = cmd.getOptionValueSource(k)
    if (source === undefined || source === 'default') {
      cmd.setOptionValueWithSource(k, Array.isArray(v) ? v.map(String).join(',') : v, 'config')
    }
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return cmd.opts()
}

/** Converted option values, read by key. Only options that had a value are present. */
export class OptionValues {
  constructor(private readonly values: ReadonlyMap<string, string | number | boolean | string[]>) {}
  /** True when the option had a value (given or default). */
  has(key: string): boolean {
    return this.values.has(key)
  }
  str(key: string): string | undefined {
    return this.values.get(key) as string | undefined
  }
  /** The integer value; 0 when absent (every int option has a default). */
  int(key: string): number {
    return (this.values.get(key) as number | undefined) ?? 0
  }
  bool(key: string): boolean {
    return (this.values.get(key) as boolean | undefined) ?? false
  }
  list(key: string): string[] {
    return (this.values.get(key) as string[] | undefined) ?? []
  }
}

const scalarText = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : ''

/**
 * Converts every option's raw value by its kind (choices checked, ints non-negative, bools
 * true/false/1/0/yes/no, lists comma-separated) and returns the values plus every problem found.
 */
export function readOptionValues(
  specs: readonly OptionSpec[],
  raw: RawOptions
): { readonly values: OptionValues; readonly problems: string[] } {
  const problems: string[] = []
  const values = new Map<string, string | number | boolean | string[]>()
  for (const o of specs) {
    const v = raw[o.key] ?? o.default
    if (v === undefined || v === '') continue
    const name = o.flag.split(' ')[0] ?? o.flag
    switch (o.kind) {
      case 'string':
        if (typeof v !== 'string' && typeof v !== 'number')
          problems.push(`${name}: expected a string`)
        else if (o.choices !== undefined && !o.choices.includes(String(v))) {
          problems.push(`${name}: ${JSON.stringify(v)} is not one of ${o.choices.join(', ')}`)
        } else values.set(o.key, String(v))
        break
      case 'int': {
        const n =
          typeof v === 'number'
            ? v
            : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)
              ? Number(v)
              : NaN
        if (!Number.isSafeInteger(n) || n < 0) {
          problems.push(`${name}: expected a non-negative integer, got ${JSON.stringify(v)}`)
        } else values.set(o.key, n)
        break
      }
      case 'bool': {
        const s = scalarText(v).toLowerCase()
        if (s === 'true' || s === '1' || s === 'yes') values.set(o.key, true)
        else if (s === 'false' || s === '0' || s === 'no') values.set(o.key, false)
        else problems.push(`${name}: expected true or false, got ${JSON.stringify(v)}`)
        break
      }
      case 'list':
        values.set(
          o.key,
          scalarText(v)
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        )
        break
    }
  }
  return { values: new OptionValues(values), problems }
}

/** Freezes an object graph in place (configs are immutable once parsed). */
export function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o)
    for (const v of Object.values(o)) deepFreeze(v)
  }
  return o
}

/** `--log-level`, shared by every daemon. */
export function logLevelOption(defaultLevel: string, choices: readonly string[]): OptionSpec {
  return {
    key: 'logLevel',
    flag: '--log-level <level>',
    kind: 'string',
    help: 'log level',
    default: defaultLevel,
    choices,
  }
}

/**
 * `--<name>-enabled`, `--<name>-host` and `--<name>-port` of an HTTP endpoint (health, metrics),
 * with the endpoint's defaults.
 */
export function httpEndpointOptions(
  name: 'health' | 'metrics',
  defaults: { readonly enabled: boolean; readonly host: string; readonly port: number }
): OptionSpec[] {
  const what = name === 'health' ? 'serve /liveness and /readiness' : 'serve Prometheus /metrics'
  return [
    {
      key: `${name}Enabled`,
      flag: `--${name}-enabled <bool>`,
      kind: 'bool',
      help: what,
      default: String(defaults.enabled),
    },
    {
      key: `${name}Host`,
      flag: `--${name}-host <addr>`,
      kind: 'string',
      help: `${name} listen address`,
      default: defaults.host,
    },
    {
      key: `${name}Port`,
      flag: `--${name}-port <port>`,
      kind: 'int',
      help: `${name} port`,
      default: String(defaults.port),
    },
  ]
}

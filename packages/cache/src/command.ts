/**
 * The `cattail cache` command (commander 14). The `cattail` CLI adds it with `addCommand`; the
 * parent should call `.exitOverride()` / `.configureOutput()` on it as it needs (settings are not
 * inherited by `addCommand`).
 */
import { Command } from 'commander'
import { addCacheOptions, applyConfigFile, parseConfig, type CacheConfig } from './config.js'
import { runCacheDaemon } from './daemon.js'

/** Options of {@link cacheCommand}. */
export interface CacheCommandOptions {
  /** What to do with the parsed config. @default runCacheDaemon */
  readonly run?: (cfg: CacheConfig) => Promise<unknown>
}

/** Builds the `cache` command: options with env vars and defaults, `--config-file`, and the action. */
export function cacheCommand(opts: CacheCommandOptions = {}): Command {
  const cmd = new Command('cache')
    .description(
      'Run the snapshot cache and fan-out server (Typha role): watch the datastore, serve agents a shared snapshot and then deltas over WebSocket.'
    )
    .showHelpAfterError()
  addCacheOptions(cmd)
  cmd.addHelpText(
    'after',
    '\nPrecedence: default < --config-file (YAML; keys are the camelCase option names, e.g. etcdEndpoints) < CATTAIL_CACHE_* environment < flags.\nDurations are in milliseconds, sizes in bytes. SIGTERM drains connections over --shutdown-timeout-ms.'
  )
  cmd.action(async (_o: unknown, c: Command) => {
    const cfg = parseConfig(await applyConfigFile(c))
    await (opts.run ?? runCacheDaemon)(cfg)
  })
  return cmd
}

/**
 * The `cattail agent` command (commander 14). The `cattail` CLI adds it with `addCommand`.
 */
import { Command } from 'commander'
import { createRootLogger } from '@cattail/common'
import {
  addAgentOptions,
  applyAgentConfigFile,
  parseAgentConfig,
  type AgentConfig,
} from './config.js'
import { runAgentDaemon } from './daemon.js'

/** Options of {@link agentCommand}. */
export interface AgentCommandOptions {
  /** What to do with the parsed config. @default run the daemon with a root logger */
  readonly run?: (cfg: AgentConfig) => Promise<unknown>
}

/** Builds the `agent` command: options with env vars, defaults and help, `--config-file`, action. */
export function agentCommand(opts: AgentCommandOptions = {}): Command {
  const cmd = new Command('agent')
    .description(
      'Run the node agent: follow the cattail cache and program the VXLAN overlay (device, FDB, ARP, routes) for local and remote clusters.'
    )
    .showHelpAfterError()
  addAgentOptions(cmd)
  cmd.addHelpText(
    'after',
    '\nPrecedence: default < --config-file (YAML; keys are the camelCase option names, e.g. cacheAddresses) < CATTAIL_AGENT_* environment (and NODENAME) < flags.\nDurations are in milliseconds. The agent needs CAP_NET_ADMIN and iproute2 (ip, bridge).'
  )
  cmd.action(async (_o: unknown, c: Command) => {
    const cfg = parseAgentConfig(await applyAgentConfigFile(c))
    await (
      opts.run ?? ((x: AgentConfig) => runAgentDaemon(x, createRootLogger(x.logLevel, 'agent')))
    )(cfg)
  })
  return cmd
}

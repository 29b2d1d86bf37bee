/**
 * The `cattail` command: one binary, one subcommand per role.
 *
 *   cattail cache       the snapshot cache and fan-out server (Deployment)
 *   cattail agent       the node agent (DaemonSet)
 *   cattail federation  the federated services controller (Deployment)
 *   cattail status      what a cache is serving: sync status, remote clusters, object counts
 *   cattail policy      policy tools: `policy trace` (the verdict between two endpoints)
 *   cattail demo        a two-cluster mesh on this machine (embedded file datastore + etcd)
 *   cattail version     the version; cattail completion bash|zsh: shell completion
 */
import { Command } from 'commander'
import { CATTAIL_VERSION } from '@cattail/common'
import { agentCommand } from '@cattail/agent'
import { cacheCommand } from '@cattail/cache'
import { federationCommand } from '@cattail/federation'
import { demoCommand } from './demo/demo.js'
import { statusCommand } from './status.js'
import { completionCommand, versionCommand } from './version.js'
import { policyCommand } from './policy-trace.js'

/** Version printed by `cattail --version` and `cattail version` (the root package.json's, via @cattail/common). */
export { CATTAIL_VERSION }

/**
 * Builds the program. Commander's exit handling is overridden on every subcommand so that parse
 * errors surface as CommanderError (main.ts turns them into exit codes).
 */
export function buildProgram(): Command {
  const program = new Command('cattail')
    .description(
      'cattail: a cluster mesh for Kubernetes (cross-cluster pod routing over VXLAN, remote-aware policy, federated services).'
    )
    .version(CATTAIL_VERSION)
    .showHelpAfterError()
  const subcommands = [
    cacheCommand(),
    agentCommand(),
    federationCommand(),
    statusCommand(),
    policyCommand(),
    demoCommand(),
    versionCommand(),
    completionCommand(() => program),
  ]
  for (const c of subcommands) program.addCommand(c.exitOverride())
  return program.exitOverride()
}

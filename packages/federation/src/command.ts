/** The `cattail federation` command (commander): options, help and the action. */
import { Command } from 'commander'
import {
  addFederationOptions,
  applyConfigFile,
  parseConfig,
  type FederationConfig,
} from './config.js'
import { runFederationDaemon } from './daemon.js'

/** Options of {@link federationCommand}. */
export interface FederationCommandOptions {
  /** What to do with the parsed config. @default runFederationDaemon */
  readonly run?: (cfg: FederationConfig) => Promise<unknown>
}

/** Builds the `federation` command. */
export function federationCommand(opts: FederationCommandOptions = {}): Command {
  const cmd = new Command('federation')
    .description(
      'Run the federated services controller: for every Service annotated federation.tigera.io/serviceSelector (and no spec.selector), write an Endpoints object and EndpointSlices listing the addresses of the matching Services in the same namespace, local and in every remote cluster (RemoteClusterConfigurations).'
    )
    .showHelpAfterError()
  addFederationOptions(cmd)
  cmd.addHelpText(
    'after',
    [
      '',
      'Precedence: default < --config-file (YAML; keys are the camelCase option names, e.g. remoteGracePeriodMs) < CATTAIL_FEDERATION_* environment < flags.',
      'It writes only objects labelled endpointslice.kubernetes.io/managed-by=cattail and never overwrites others (a Warning Event says so).',
      'Remote Services carry the implicit label federation.tigera.io/remoteClusterName=<rcc>; remote addresses get targetRef.name <rcc>/<pod>.',
      'Several replicas may run: only the holder of the Lease (--lease-namespace/--lease-name) writes. SIGTERM releases the Lease.',
      'Health: /liveness and /readiness on --health-port (9096). Prometheus: /metrics on --metrics-port (9097). Durations are in milliseconds.',
    ].join('\n')
  )
  cmd.action(async (_o: unknown, c: Command) => {
    const cfg = parseConfig(await applyConfigFile(c))
    await (opts.run ?? runFederationDaemon)(cfg)
  })
  return cmd
}

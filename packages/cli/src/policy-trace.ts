/**
 * `cattail policy trace`: reads a cache's snapshot like an agent, runs the agent's pure policy
 * calc over it and traces one packet (`--from`, `--to`, `--protocol`, `--port`) through the local
 * cluster's policy: the verdict, and per side the tier, policy and rule (or profile / default)
 * that decided. Endpoints are keys as `cattail status` counts them (`WorkloadEndpoint/<ns>/<name>`,
 * remote ones `<cluster>/WorkloadEndpoint/…`) or IP addresses. With `--datastore-type` (the flags of
 * `cattail cache`) it reads the datastores directly instead of a cache.
 */
import { Command, Option } from 'commander'
import { ConfigError, createRootLogger } from '@cattail/common'
import { TraceError, traceSnapshot, type TraceResult, type TraceSide } from '@cattail/agent'
import { addCacheClientOptions, cacheClientSettings, readCacheSnapshot } from './cache-client.js'
import {
  addDatastoreOptions,
  datastoreChosen,
  readDatastoreSnapshot,
} from './datastore-snapshot.js'

function sideText(name: string, s: TraceSide): string {
  if (!s.evaluated)
    return `${name}: not evaluated (remote or not an endpoint: its own cluster decides)`
  let who: string
  if (s.policy !== undefined) {
    who = `tier ${s.tier ?? ''} policy ${s.policy} rule ${String(s.ruleIndex)} (${s.action ?? ''})`
  } else if (s.profile !== undefined) {
    who = `profile ${s.profile} rule ${String(s.ruleIndex)} (${s.action ?? ''})`
  } else who = `default: ${s.default ?? ''}`
  const trail = s.trail.length === 0 ? '' : `\n    on the way: ${s.trail.join(', ')}`
  return `${name}: ${s.verdict.toUpperCase()} by ${who}${trail}`
}

/** The human-readable form of a trace. */
export function formatTrace(r: TraceResult): string {
  const ep = (e: TraceResult['from']): string => (e.key === undefined ? e.ip : `${e.key} (${e.ip})`)
  const lines = [
    `from: ${ep(r.from)}`,
    `to:   ${ep(r.to)}`,
    sideText('egress ', r.egress),
    sideText('ingress', r.ingress),
    `verdict: ${r.verdict.toUpperCase()}`,
  ]
  if (r.problems.length > 0) {
    lines.push('', 'rejected resources (not enforced, previous version kept if any):')
    for (const p of r.problems) lines.push(`  ${p}`)
  }
  return lines.join('\n')
}

/** Builds the `policy` command with its `trace` subcommand. */
export function policyCommand(): Command {
  const trace = new Command('trace').description(
    "Trace one packet through the local cluster's policy, computed by the agent's own calc over a cache's snapshot."
  )
  addCacheClientOptions(trace)
  addDatastoreOptions(trace)
    .requiredOption('--from <endpoint>', 'source: endpoint key or IP address')
    .requiredOption('--to <endpoint>', 'destination: endpoint key or IP address')
    .addOption(new Option('--protocol <proto>', 'tcp, udp, sctp, icmp or a number').default('tcp'))
    .option('--port <port>', 'destination port')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text')
    )
    .action(async (o: Record<string, string | undefined>, cmd: Command) => {
      const port = o['port'] === undefined ? undefined : Number(o['port'])
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
        throw new ConfigError([`--port: ${o['port'] ?? ''} is not a port number`])
      }
      const settings = cacheClientSettings(o)
      const log = createRootLogger('warn', 'cli')
      const snap = datastoreChosen(cmd)
        ? await readDatastoreSnapshot(o, settings.timeoutMs, log)
        : await readCacheSnapshot({ ...settings, log, clientName: 'cattail-policy-trace' })
      let result: TraceResult
      try {
        result = traceSnapshot(snap.kvs.values(), {
          from: o['from'] ?? '',
          to: o['to'] ?? '',
          protocol: o['protocol'] ?? 'tcp',
          ...(port !== undefined && { port }),
        })
      } catch (err) {
        if (err instanceof TraceError) throw new ConfigError([err.message])
        throw err
      }
      const out =
        o['output'] === 'json'
          ? JSON.stringify({ syncStatus: snap.status, ...result }, null, 2)
          : `${snap.status === 'in-sync' ? '' : `warning: cache not in sync (${snap.status})\n`}${formatTrace(result)}`
      process.stdout.write(out + '\n')
      process.exitCode = 0
    })
  return new Command('policy').description('Network policy tools.').addCommand(trace.exitOverride())
}

/**
 * Prometheus metrics of the agent (prom-client, own Registry) and the tiny HTTP server that
 * exposes them on their own port.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { ApplyResult } from './dataplane/types.js'
import type { VxlanDriverStats } from './dataplane/drivers/vxlan-driver.js'
import type { PolicyDriverStats } from './dataplane/drivers/policy-driver.js'

/** The agent's metrics. */
export class AgentMetrics {
  readonly registry = new Registry()
  readonly resyncs = new Counter({
    name: 'cattail_agent_dataplane_resyncs_total',
    help: 'Full dataplane resyncs (kernel re-read and reconciled)',
    registers: [this.registry],
  })
  readonly applyErrors = new Counter({
    name: 'cattail_agent_dataplane_apply_errors_total',
    help: 'Failed dataplane apply cycles (each triggers a resync after backoff)',
    registers: [this.registry],
  })
  readonly changes = new Counter({
    name: 'cattail_agent_dataplane_changes_total',
    help: 'Kernel changes issued',
    labelNames: ['mode'] as const,
    registers: [this.registry],
  })
  readonly entries = new Gauge({
    name: 'cattail_agent_dataplane_entries',
    help: 'Entries programmed by the agent',
    labelNames: ['type'] as const,
    registers: [this.registry],
  })
  readonly applyDuration = new Histogram({
    name: 'cattail_agent_dataplane_apply_duration_seconds',
    help: 'Duration of one dataplane cycle (calc + kernel)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })
  readonly netlinkRecreations = new Counter({
    name: 'cattail_agent_netlink_socket_recreations_total',
    help: 'Netlink sockets dropped after an error and recreated',
    registers: [this.registry],
  })
  readonly syncUpdates = new Counter({
    name: 'cattail_agent_sync_updates_total',
    help: 'KVUpdates received from the cache',
    registers: [this.registry],
  })
  readonly blockedRoutes = new Gauge({
    name: 'cattail_agent_dataplane_blocked_routes',
    help: 'Destinations we want to route that a foreign route holds (never overwritten; see /status)',
    registers: [this.registry],
  })
  readonly inSync = new Gauge({
    name: 'cattail_agent_in_sync',
    help: '1 when the agent is in sync with the cache',
    registers: [this.registry],
  })

  readonly policyApplyDuration = new Histogram({
    name: 'cattail_agent_policy_apply_duration_seconds',
    help: 'Duration of one policy dataplane cycle (calc + ipset + iptables + routes)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })
  readonly policyApplyErrors = new Counter({
    name: 'cattail_agent_policy_apply_errors_total',
    help: 'Failed policy dataplane cycles (each triggers a resync after backoff)',
    registers: [this.registry],
  })
  readonly policyResyncs = new Counter({
    name: 'cattail_agent_policy_resyncs_total',
    help: 'Policy dataplane resyncs (ipsets, iptables and routes re-read)',
    registers: [this.registry],
  })
  readonly iptablesRestores = new Counter({
    name: 'cattail_agent_iptables_restores_total',
    help: 'iptables-restore and ip6tables-restore invocations',
    registers: [this.registry],
  })
  readonly ipsetRestores = new Counter({
    name: 'cattail_agent_ipset_restores_total',
    help: 'ipset restore invocations',
    registers: [this.registry],
  })
  readonly policyDriftRepairs = new Counter({
    name: 'cattail_agent_iptables_drift_repairs_total',
    help: 'Resyncs that found our iptables chains changed by someone else (and repaired them)',
    registers: [this.registry],
  })
  readonly policyEntries = new Gauge({
    name: 'cattail_agent_policy_entries',
    help: 'Policy objects programmed (type: ipsets, ipset_members, chains)',
    labelNames: ['type'] as const,
    registers: [this.registry],
  })
  readonly policyProblems = new Gauge({
    name: 'cattail_agent_policy_rejected_resources',
    help: 'Policy resources rejected by the calc (skipped; the rest is enforced)',
    registers: [this.registry],
  })
  #policySeen = { iptablesRestores: 0, ipsetRestores: 0, driftRepairs: 0 }

  constructor(defaultMetrics = true) {
    // Standard names (process_cpu_seconds_total, process_resident_memory_bytes, nodejs_*), as the
    // cache does: dashboards expect them unprefixed; the job label tells the daemons apart.
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry })
  }

  /** Records one successful cycle. */
  observeApply(r: ApplyResult, durationMs: number, stats: VxlanDriverStats): void {
    this.applyDuration.observe(durationMs / 1000)
    if (r.resynced) this.resyncs.inc()
    if (r.changes > 0) this.changes.inc({ mode: r.mode }, r.changes)
    this.entries.set({ type: 'fdb' }, stats.entries.fdb)
    this.entries.set({ type: 'arp' }, stats.entries.arp)
    this.entries.set({ type: 'route' }, stats.entries.routes)
    this.blockedRoutes.set(stats.blockedRoutes)
  }

  /** Records one successful policy cycle (counters advance by the driver's deltas). */
  observePolicyApply(r: ApplyResult, durationMs: number, stats: PolicyDriverStats): void {
    this.policyApplyDuration.observe(durationMs / 1000)
    if (r.resynced) this.policyResyncs.inc()
    this.observePolicyStats(stats)
  }

  /** Brings the policy counters and gauges up to the driver's figures. */
  observePolicyStats(stats: PolicyDriverStats): void {
    const seen = this.#policySeen
    this.iptablesRestores.inc(Math.max(0, stats.iptablesRestores - seen.iptablesRestores))
    this.ipsetRestores.inc(Math.max(0, stats.ipsetRestores - seen.ipsetRestores))
    this.policyDriftRepairs.inc(Math.max(0, stats.driftRepairs - seen.driftRepairs))
    this.#policySeen = { ...stats }
    this.policyEntries.set({ type: 'ipsets' }, stats.ipsets)
    this.policyEntries.set({ type: 'ipset_members' }, stats.ipsetMembers)
    this.policyEntries.set({ type: 'chains' }, stats.chains)
  }
}

/**
 * @module @cattail/agent: the node agent. It receives KVUpdates from the cattail cache (sync
 * client), computes the desired VXLAN state in a pure calc (VTEPs, FDB, ARP, routes, NAT sets)
 * and programs the kernel through drivers (netlink, pipelined, for VXLAN change sets; iproute2),
 * reconciling at start, after errors and periodically.
 *
 * @example
 * ```ts
 * import { computeVxlanState, vtepMacForNode } from '@cattail/agent'
 * vtepMacForNode('remotehostname') // '66:3e:ca:a4:db:65'
 * ```
 */
export * from './calc/index.js'
export * from './errors.js'
export * from './dataplane/types.js'
export type { Manager } from './dataplane/manager.js'
export { VxlanManager } from './dataplane/vxlan-manager.js'
export { DataplaneLoop, DEFAULT_DATAPLANE_LOOP_CONFIG } from './dataplane/dataplane-loop.js'
export type {
  DataplaneLoopConfig,
  DataplaneStatus,
  DataplaneLoopHooks,
} from './dataplane/dataplane-loop.js'
export type { VxlanDriver } from './dataplane/drivers/vxlan-driver.js'
export { KernelVxlanDriver } from './dataplane/drivers/vxlan-driver.js'
export { createVxlanDataplane } from './dataplane/vxlan-dataplane.js'
export type { VxlanDataplane, VxlanDataplaneOptions } from './dataplane/vxlan-dataplane.js'
export { agentCommand } from './command.js'
export type { AgentCommandOptions } from './command.js'
export {
  AGENT_OPTIONS,
  DEFAULT_AGENT_CONFIG,
  addAgentOptions,
  agentConfigLogFields,
  agentEnvName,
  applyAgentConfigFile,
  parseAgentConfig,
} from './config.js'
export type { AgentConfig, AgentTlsFiles, HttpEndpointConfig } from './config.js'
export { AgentDaemon, runAgentDaemon } from './daemon.js'
export type { UpdateSourceFactory } from './daemon.js'
export type { UpdateSink, UpdateSource } from './syncclient/update-source.js'
export { createSyncSource } from './syncclient/sync-source.js'
export { createAgentProjection, type KvProjection } from './syncclient/projection.js'
export { AgentMetrics } from './metrics.js'
export * from './status.js'
export * from './felix-guard.js'
export * from './dataplane/drivers/child-process.js'
export type { AgentProcessHooks } from './daemon.js'
export { createPolicyDataplane } from './dataplane/policy-dataplane.js'
export type {
  PolicyCalcFactory,
  PolicyDataplane,
  PolicyDataplaneOptions,
} from './dataplane/policy-dataplane.js'
export { PolicyManager } from './dataplane/policy-manager.js'
export { KernelPolicyDriver } from './dataplane/drivers/policy-driver.js'
export type { PolicyDriver, PolicyDriverStats } from './dataplane/drivers/policy-driver.js'
export { DEFAULT_POLICY_DATAPLANE_CONFIG } from './dataplane/policy/config.js'
export type { PolicyDataplaneConfig } from './dataplane/policy/config.js'
export type { AgentDaemonOptions } from './daemon.js'
export {
  CacheDiscovery,
  CacheDiscoveryError,
  DEFAULT_CACHE_DISCOVERY_CONFIG,
  loadDiscoveryKubeConfig,
  type CacheDiscoveryConfig,
} from './syncclient/cache-discovery.js'
export { ExecRunner, type ToolRunner, type RunOptions } from './dataplane/drivers/exec.js'
export { AGENT_RUNTIME_ENV } from './runtime.js'

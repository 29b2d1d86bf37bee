/**
 * The pure policy calc: Calico policy, profiles, tiers and network sets → the ipsets, iptables
 * chains, hooks and workload routes Felix would program (contract.ts), plus the `policy trace`
 * evaluator over the same state.
 */
import type { PolicyCalc } from './contract.js'
import type { PolicyCalcOptions } from './options.js'
import { PolicyCalcImpl } from './policy-calc.js'

export * from './contract.js'
export * from './options.js'
export { lengthLimitedId, policyId, chainName, MAX_CHAIN_NAME_LENGTH } from './names.js'
export { entitySelectorsV1, namespaceSelectorV1, policyTypes } from './prepare.js'
export { renderRule, splitPortList } from './render-rule.js'
export { ALL_IPAM_POOLS, ALL_VXLAN_NET, MASQ_IPAM_POOLS } from './render-chains.js'
export { PolicyCalcImpl, POLICY_HOOKS } from './policy-calc.js'
export {
  tracePolicy,
  traceSnapshot,
  TraceError,
  type TraceQuery,
  type TraceResult,
  type TraceSide,
  type TraceEndpoint,
} from './trace.js'

/** Creates the incremental policy calc for node `opts.nodeName`. */
export function createPolicyCalc(opts: PolicyCalcOptions): PolicyCalc {
  return new PolicyCalcImpl(opts)
}

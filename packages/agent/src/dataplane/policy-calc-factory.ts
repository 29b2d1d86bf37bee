/**
 * The policy calc the daemon uses by default. The pure calc (`calc/policy/`, part A of issue 10)
 * lands on another branch; until then the default refuses to start with policy enabled rather
 * than program an empty policy (which would remove every `cali-` chain on the node).
 */
import { MeshError } from '@cattail/common'
import type { PolicyCalcFactory } from './policy-dataplane.js'

/** No policy calc is linked into this build. */
export class PolicyCalcMissingError extends MeshError {
  readonly code = 'ERR_POLICY_CALC_MISSING'
  constructor() {
    super('no policy calc in this build: run with --policy false')
  }
}

// TODO(merge-polcalc): return createPolicyCalc(opts) from '../calc/policy/index.js'.
/** The daemon's default {@link PolicyCalcFactory}. */
export const defaultPolicyCalcFactory: PolicyCalcFactory = () => {
  throw new PolicyCalcMissingError()
}

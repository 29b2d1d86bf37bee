/**
 * The policy calc the daemon uses by default. The pure calc (`calc/policy/`, part A of issue 10)
 * lands on another branch; until it is linked here the daemon runs without the policy dataplane
 * (and says so) rather than program an empty policy, which would remove every `cali-` chain.
 */
import type { PolicyCalcFactory } from './policy-dataplane.js'

// TODO(merge-polcalc): `= (opts) => createPolicyCalc(opts)` from '../calc/policy/index.js'.
/** The daemon's default {@link PolicyCalcFactory}; undefined = no policy calc in this build. */
export const defaultPolicyCalcFactory: PolicyCalcFactory | undefined = undefined

/**
 * The policy calc the daemon uses by default: the pure calc of `calc/policy/` for this node. Tests
 * pass their own factory (a hand-written calc) through the daemon options instead.
 */
import { createPolicyCalc } from '../calc/policy/index.js'
import type { PolicyCalcFactory } from './policy-dataplane.js'

/** The daemon's default {@link PolicyCalcFactory}. */
export const defaultPolicyCalcFactory: PolicyCalcFactory = (opts) => createPolicyCalc(opts)

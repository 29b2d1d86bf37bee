/**
 * Composition of the policy dataplane: PolicyCalc → PolicyManager → KernelPolicyDriver
 * (iptables, ipset, ip) → its own DataplaneLoop. The daemon and the root tests build it the same
 * way; tests pass a netns runner and a hand-written calc.
 *
 * Why a second loop next to the VXLAN one: the two touch disjoint kernel state, so a failing
 * iptables-restore must neither hold back VXLAN routes nor share their backoff and resync timer,
 * and a policy full reconcile (hundreds of ms at scale) must not delay a VTEP change. Both loops
 * are gated by the same sync status (fail-static) and both must be 'programmed' for readiness.
 */
import type { Logger } from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import type { PolicyCalc, PolicyProblem } from '../calc/policy/contract.js'
import { FelixConflictError } from '../errors.js'
import {
  DataplaneLoop,
  type DataplaneLoopConfig,
  type DataplaneLoopHooks,
} from './dataplane-loop.js'
import { ExecRunner, type ToolRunner } from './drivers/exec.js'
import { KernelPolicyDriver } from './drivers/policy-driver.js'
import type { PolicyDataplaneConfig } from './policy/config.js'
import { PolicyManager } from './policy-manager.js'

/** Builds the pure policy calc for this node (part A's `createPolicyCalc`). */
export type PolicyCalcFactory = (opts: { readonly nodeName: string }) => PolicyCalc

/** Everything {@link createPolicyDataplane} needs. */
export interface PolicyDataplaneOptions {
  readonly nodeName: string
  readonly policy: PolicyDataplaneConfig
  readonly loop: DataplaneLoopConfig
  readonly calcFactory: PolicyCalcFactory
  readonly log: Logger
  readonly hooks?: DataplaneLoopHooks
  /** Runs the tools (default: real processes in our own netns, with the configured deadline). */
  readonly runner?: ToolRunner
  /** Current rejected resources (metrics, status). */
  readonly onProblems?: (problems: readonly PolicyProblem[]) => void
  /** Called once when the agent must exit (another writer keeps rewriting our chains). */
  readonly onFatal?: (err: FelixConflictError) => void
}

/** The assembled policy dataplane. */
export interface PolicyDataplane {
  readonly calc: PolicyCalc
  readonly manager: PolicyManager
  readonly driver: KernelPolicyDriver
  readonly loop: DataplaneLoop
  /** Delivers a batch of updates to the manager and wakes the loop. */
  onUpdates(updates: readonly KVUpdate[]): void
  start(signal?: AbortSignal): Promise<void>
  stop(): Promise<void>
}

/** Builds the policy dataplane. */
export function createPolicyDataplane(o: PolicyDataplaneOptions): PolicyDataplane {
  const log = o.log.child({ component: 'policy' })
  const runner = o.runner ?? new ExecRunner(undefined, o.policy.commandTimeoutMs)
  const calc = o.calcFactory({ nodeName: o.nodeName })
  const driver = new KernelPolicyDriver(o.policy, runner, log)
  const manager = new PolicyManager(calc, driver, log, o.onProblems)
  let fatal = false
  const loop = new DataplaneLoop(o.loop, [manager], driver, log, {
    ...(o.hooks?.onApplied && { onApplied: o.hooks.onApplied }),
    onError: (err) => {
      o.hooks?.onError?.(err)
      if (err instanceof FelixConflictError && !fatal) {
        fatal = true
        o.onFatal?.(err)
      }
    },
  })
  return {
    calc,
    manager,
    driver,
    loop,
    onUpdates(updates) {
      for (const u of updates) manager.onUpdate(u)
      if (manager.dirty) loop.kick()
    },
    start: (signal) => loop.start(signal),
    stop: () => loop.stop(),
  }
}

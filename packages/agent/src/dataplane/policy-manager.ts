/**
 * The policy manager (Felix's policy/ipsets managers in one): feeds updates to the pure policy
 * calc and hands its output to the policy driver. Membership-only changes travel as ipset deltas
 * (the driver writes them with one `ipset restore`, never iptables); anything structural hands
 * over the complete desired state, which the driver diffs against the kernel.
 */
import type { Logger } from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import type { PolicyCalc, PolicyProblem } from '../calc/policy/contract.js'
import type { PolicyDriver } from './drivers/policy-driver.js'
import type { Manager } from './manager.js'

/** Drives {@link PolicyCalc} → {@link PolicyDriver}. */
export class PolicyManager implements Manager {
  #dirty = false
  #first = true
  #problems = new Map<string, string>()

  constructor(
    private readonly calc: PolicyCalc,
    private readonly driver: PolicyDriver,
    private readonly log: Logger,
    private readonly onProblems?: (problems: readonly PolicyProblem[]) => void
  ) {}

  /** True when updates arrived since the last completeDeferredWork. */
  get dirty(): boolean {
    return this.#dirty
  }

  onUpdate(update: KVUpdate): void {
    this.calc.onUpdate(update)
    this.#dirty = true
  }

  completeDeferredWork(): void {
    if (!this.#dirty && !this.#first) return
    this.#dirty = false
    const changes = this.calc.takeChanges()
    if (changes.structural || this.#first) {
      this.#first = false
      this.driver.setDesired(this.calc.desired())
      this.#reportProblems()
    } else if (changes.members.size > 0) {
      this.driver.addMemberDeltas(changes.members)
    }
  }

  /** Logs problems that appeared or went away (each once) and reports the current list. */
  #reportProblems(): void {
    const now = new Map(this.calc.problems().map((p) => [p.key, p.reason]))
    for (const [key, reason] of now)
      if (this.#problems.get(key) !== reason)
        this.log.warn({ key, reason }, 'policy resource rejected; skipped')
    for (const key of this.#problems.keys())
      if (!now.has(key)) this.log.info({ key }, 'policy resource accepted again')
    this.#problems = now
    this.onProblems?.([...now].map(([key, reason]) => ({ key, reason })))
  }
}

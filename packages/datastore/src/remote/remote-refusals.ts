/**
 * The refusals of one remote cluster: how many values were refused, by reason, the last reason,
 * and which keys are refused now. Each refused key is logged once until it is accepted or deleted;
 * the object limit is logged once per remote (past the limit every new key would log). The counts
 * decorate the remote's status (`rejected`, `lastRejection`).
 */
import type { Logger } from '@cattail/common'
import type { RemoteRejection } from './remote-guard.js'
import type { RemoteStatus } from './remote-status.js'

/** Refusal counts and the keys refused now, for one remote. */
export class RemoteRefusals {
  readonly #rejected = new Map<string, number>()
  #lastRejection: string | undefined
  /** Keys currently refused (each is logged once until it is accepted or deleted). */
  readonly #rejectedKeys = new Set<string>()

  constructor(private readonly log: Logger) {}

  /** Counts a refusal of `key` and logs it unless the key is already refused. */
  refuse(rejection: RemoteRejection, key: string): void {
    this.#rejected.set(rejection.reason, (this.#rejected.get(rejection.reason) ?? 0) + 1)
    this.#lastRejection = rejection.detail
    // The object limit is logged once per remote, and its keys are not remembered: past the limit
    // a remote must not grow our memory by one key per extra object.
    if (rejection.reason === 'object-limit') {
      if ((this.#rejected.get('object-limit') ?? 0) > 1) return
    } else {
      if (this.#rejectedKeys.has(key)) return
      this.#rejectedKeys.add(key)
    }
    this.log.warn(
      { key, reason: rejection.reason, detail: rejection.detail },
      'remote object refused'
    )
  }

  /** `key` was accepted (or deleted): a later refusal of it is logged again. */
  accepted(key: string): void {
    this.#rejectedKeys.delete(key)
  }

  /** `status` with the current counts (none: the fields are absent). */
  decorate(status: RemoteStatus): RemoteStatus {
    const { rejected: _r, lastRejection: _l, ...base } = status
    return {
      ...base,
      ...(this.#rejected.size > 0 && { rejected: Object.fromEntries(this.#rejected) }),
      ...(this.#lastRejection !== undefined && { lastRejection: this.#lastRejection }),
    }
  }
}

/**
 * Server address rotation: shuffled rounds; every address is tried once before any is retried
 * (Typha's ConnectionAttemptTracker). A new round never starts with the address the last round
 * ended on, so a single failed server is not hit twice in a row.
 *
 * With discovery the client hands each round's list in through {@link AddressRotation.startRound}
 * (already ordered by the provider, e.g. same-node servers first) and ends a round early with
 * {@link AddressRotation.endRound}. Typha forgets a tried address after 5 min; ending the round
 * when a connection got through the handshake has the same effect without a clock: after a
 * long-lived connection drops, the next attempt starts a fresh round from a fresh list.
 */

/** Hands out addresses in shuffled rounds. */
export class AddressRotation {
  #round: string[] = []
  #last: string | undefined

  /**
   * @param addresses static addresses, shuffled into each round; may be empty only when every
   *   round is started with {@link startRound}
   * @param random random source for the shuffle (tests)
   */
  constructor(
    private readonly addresses: readonly string[],
    private readonly random: () => number = Math.random
  ) {}

  /** True when the current round is used up: the next {@link next} starts a new one. */
  get roundDone(): boolean {
    return this.#round.length === 0
  }

  /**
   * Starts a round over `addresses` in the given order (duplicates dropped), except that the
   * address handed out last moves to the end.
   */
  startRound(addresses: readonly string[]): void {
    this.#round = this.#notLastFirst([...new Set(addresses)])
  }

  /** Drops the rest of the current round. */
  endRound(): void {
    this.#round = []
  }

  /** The next address to try. Throws RangeError when there is none. */
  next(): string {
    if (this.#round.length === 0) this.#round = this.#shuffled()
    const a = this.#round.shift()
    if (a === undefined) throw new RangeError('AddressRotation has no address to hand out')
    this.#last = a
    return a
  }

  #shuffled(): string[] {
    const a = [...this.addresses]
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      ;[a[i], a[j]] = [a[j] as string, a[i] as string]
    }
    return this.#notLastFirst(a)
  }

  #notLastFirst(a: string[]): string[] {
    if (a.length > 1 && a[0] === this.#last) a.push(a.shift() as string)
    return a
  }
}

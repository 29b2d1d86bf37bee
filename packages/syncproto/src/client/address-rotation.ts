/**
 * Server address rotation: shuffled rounds; every address is tried once before any is retried
 * (Typha's ConnectionAttemptTracker, without discovery). A new round never starts with the
 * address the last round ended on, so a single failed server is not hit twice in a row.
 */

/** Hands out addresses in shuffled rounds. */
export class AddressRotation {
  #round: string[] = []
  #last: string | undefined

  constructor(
    private readonly addresses: readonly string[],
    private readonly random: () => number = Math.random
  ) {
    if (addresses.length === 0) throw new RangeError('AddressRotation needs at least one address')
  }

  /** The next address to try. */
  next(): string {
    if (this.#round.length === 0) this.#round = this.#shuffled()
    const a = this.#round.shift() as string
    this.#last = a
    return a
  }

  #shuffled(): string[] {
    const a = [...this.addresses]
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      ;[a[i], a[j]] = [a[j] as string, a[i] as string]
    }
    if (a.length > 1 && a[0] === this.#last) a.push(a.shift() as string)
    return a
  }
}

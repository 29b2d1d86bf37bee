/**
 * Which federated Services each backing Service fed at their last computation, so that a change
 * to a backing Service's endpoints marks exactly those federated Services dirty. Ids are
 * `<cluster>|<ns>/<name>` (cluster '' = local); federated keys are `<ns>/<name>`.
 */

/** The backing-Service → federated-Services index. */
export class BackingIndex {
  readonly #backedBy = new Map<string, Set<string>>()
  readonly #backingOf = new Map<string, readonly string[]>()

  /** Id of a backing Service. */
  static id(cluster: string, namespace: string, name: string): string {
    return `${cluster}|${namespace}/${name}`
  }

  /** Federated Services that backing Service `id` fed. */
  federatedBy(id: string): Iterable<string> {
    return this.#backedBy.get(id) ?? []
  }

  /** Backing Services feeding at least one federated Service. */
  get backingCount(): number {
    return this.#backedBy.size
  }

  /** Records that federated Service `fed` is now fed by `ids` (replacing what it had). */
  set(fed: string, ids: readonly string[]): void {
    this.clear(fed)
    if (ids.length === 0) return
    this.#backingOf.set(fed, ids)
    for (const id of ids) {
      let set = this.#backedBy.get(id)
      if (set === undefined) this.#backedBy.set(id, (set = new Set()))
      set.add(fed)
    }
  }

  /** Forgets federated Service `fed`. */
  clear(fed: string): void {
    for (const id of this.#backingOf.get(fed) ?? []) {
      const set = this.#backedBy.get(id)
      set?.delete(fed)
      if (set?.size === 0) this.#backedBy.delete(id)
    }
    this.#backingOf.delete(fed)
  }
}

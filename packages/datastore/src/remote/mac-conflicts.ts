/**
 * Detects nodes of different clusters that would get the same VXLAN tunnel MAC. Pure.
 *
 * A node without `vxlanTunnelMACAddr` gets a MAC derived from its name, so two nodes with the
 * same name in two clusters (local and a remote, or two remotes) collide and one of them is
 * unreachable over VXLAN. Published MACs collide when they are equal. The fix is to publish
 * `vxlanTunnelMACAddr` on one of the two nodes.
 */

/** The cluster id of the local cluster in {@link VtepMacConflicts}. */
export const LOCAL_CLUSTER = ''

/** Node names per cluster with their published MAC, and the conflicts between clusters. */
export class VtepMacConflicts {
  /** Node name → cluster ('' local) → published MAC (lower case) or undefined (derived). */
  readonly #nodes = new Map<string, Map<string, string | undefined>>()

  /** Records node `name` of `cluster` with its published MAC (undefined: derived from the name). */
  set(cluster: string, name: string, mac: string | undefined): void {
    let byCluster = this.#nodes.get(name)
    if (byCluster === undefined) {
      byCluster = new Map<string, string | undefined>()
      this.#nodes.set(name, byCluster)
    }
    byCluster.set(cluster, mac?.toLowerCase().replace(/-/g, ':'))
  }

  /** Forgets node `name` of `cluster`. */
  delete(cluster: string, name: string): void {
    const byCluster = this.#nodes.get(name)
    if (byCluster === undefined) return
    byCluster.delete(cluster)
    if (byCluster.size === 0) this.#nodes.delete(name)
  }

  /** Forgets every node of `cluster` (a remote was removed). */
  deleteCluster(cluster: string): void {
    for (const name of [...this.#nodes.keys()]) this.delete(cluster, name)
  }

  /** Sorted names of `cluster`'s nodes whose MAC equals that of a same-named node elsewhere. */
  conflictsOf(cluster: string): string[] {
    const out: string[] = []
    for (const [name, byCluster] of this.#nodes) {
      if (!byCluster.has(cluster) || byCluster.size < 2) continue
      const mine = byCluster.get(cluster)
      for (const [other, mac] of byCluster) {
        if (other !== cluster && mac === mine) {
          out.push(name)
          break
        }
      }
    }
    return out.sort()
  }

  /** Number of node names involved in at least one conflict. */
  get total(): number {
    let n = 0
    for (const byCluster of this.#nodes.values()) {
      if (byCluster.size < 2) continue
      const macs = [...byCluster.values()]
      if (new Set(macs).size < macs.length) n++
    }
    return n
  }
}

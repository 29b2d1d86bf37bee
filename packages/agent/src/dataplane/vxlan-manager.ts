/**
 * VXLAN manager: records Node, IPPool and IPAMBlock updates (local and remote) and, when any of
 * them changed what the calc reads, recomputes the whole desired VXLAN state and hands it to the
 * driver. It never touches the kernel.
 *
 * Implementation: each input is stored in the projected form the calc reads (a node's addresses
 * and MAC, a pool's spec, a block's spec). An update whose projection equals the stored one (a
 * label change, a resent object after a reconnect) does not mark the manager dirty, so no
 * recomputation and no driver call follow (equality by a digest of the projection's JSON text). Malformed values are sanitised or dropped with a
 * warning; they never throw out of `onUpdate`.
 */
import { assertNever, type Logger } from '@cattail/common'
import { parseKey, type KVUpdate } from '@cattail/model'
import { valueDigest } from '@cattail/syncproto'
import { computeVxlanState } from '../calc/vxlan-calc.js'
import type { BlockInput, NodeInput, PoolInput, VxlanState } from '../calc/types.js'
import {
  affinityNode,
  prepareBlock,
  qualifyNode,
  type RouteCandidates,
} from '../calc/route-calc.js'
import { computeVtep } from '../calc/vtep-calc.js'
import { indexCandidates, patchRemoteNodes, type PatchableVxlanState } from '../calc/vxlan-patch.js'
import type { Manager } from './manager.js'
import type { VxlanDriver } from './drivers/vxlan-driver.js'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** Projects a Node value onto what the calc reads; tolerant of missing/mistyped fields. */
function projectNode(
  id: string,
  name: string,
  cluster: string | undefined,
  value: unknown
): NodeInput {
  const spec = (value as { spec?: Record<string, unknown> } | undefined)?.spec ?? {}
  const bgp = spec['bgp'] as Record<string, unknown> | undefined
  const ipv4Address = str(bgp?.['ipv4Address'])
  const tunnel = str(spec['ipv4VXLANTunnelAddr'])
  const mac = str(spec['vxlanTunnelMACAddr'])
  return {
    id,
    name,
    cluster,
    spec: {
      ...(ipv4Address !== undefined && { bgp: { ipv4Address } }),
      ...(tunnel !== undefined && { ipv4VXLANTunnelAddr: tunnel }),
      ...(mac !== undefined && { vxlanTunnelMACAddr: mac }),
    },
  }
}

function projectPool(
  id: string,
  cluster: string | undefined,
  value: unknown
): PoolInput | undefined {
  const s = (value as { spec?: Record<string, unknown> } | undefined)?.spec
  const cidr = str(s?.['cidr'])
  if (s === undefined || cidr === undefined) return undefined
  const mode = s['vxlanMode']
  const uses = Array.isArray(s['allowedUses'])
    ? (s['allowedUses'] as unknown[]).filter(
        (u): u is 'Workload' | 'Tunnel' | 'LoadBalancer' =>
          u === 'Workload' || u === 'Tunnel' || u === 'LoadBalancer'
      )
    : undefined
  return {
    id,
    cluster,
    spec: {
      cidr,
      vxlanMode: mode === 'Always' || mode === 'CrossSubnet' ? mode : 'Never',
      ipipMode: 'Never',
      natOutgoing: s['natOutgoing'] === true,
      disabled: s['disabled'] === true,
      ...(uses !== undefined && { allowedUses: uses }),
    },
  }
}

function projectBlock(
  id: string,
  cluster: string | undefined,
  value: unknown
): BlockInput | undefined {
  const s = (value as { spec?: Record<string, unknown> } | undefined)?.spec
  const cidr = str(s?.['cidr'])
  if (s === undefined || cidr === undefined) return undefined
  const affinity = str(s['affinity'])
  const allocations = Array.isArray(s['allocations'])
    ? (s['allocations'] as unknown[]).map((a) => (typeof a === 'number' ? a : null))
    : []
  // The attributes of one block name few nodes (its own, a few borrowers): equal ones are shared.
  const byNode = new Map<string | undefined, { secondary?: { node: string } }>()
  const attributes = Array.isArray(s['attributes'])
    ? (s['attributes'] as unknown[]).map((a) => {
        const node = str((a as { secondary?: Record<string, unknown> } | null)?.secondary?.['node'])
        let attr = byNode.get(node)
        if (attr === undefined) {
          attr = node === undefined ? {} : { secondary: { node } }
          byNode.set(node, attr)
        }
        return attr
      })
    : []
  // The calc reads allocations only for borrowed addresses: those whose owner (attribute's node)
  // is not the block's host (route-calc.ts). A block without any (nearly all of them) keeps none:
  // 64 allocations and their attributes per block were ~70 bytes per endpoint at 10 per node.
  const host = affinityNode(affinity, cluster)
  const borrowed = allocations.some((i) => {
    const owner = i === null ? undefined : attributes[i]?.secondary?.node
    return owner !== undefined && owner !== '' && qualifyNode(owner, cluster) !== host
  })
  return {
    id,
    cluster,
    spec: {
      cidr,
      ...(affinity !== undefined && { affinity }),
      allocations: borrowed ? allocations : [],
      unallocated: [],
      attributes: borrowed ? attributes : [],
    },
  }
}

/** Records VXLAN-relevant updates; computes and hands over desired state when dirty. */
export class VxlanManager implements Manager {
  readonly #nodes = new Map<string, NodeInput>()
  readonly #pools = new Map<string, PoolInput>()
  readonly #blocks = new Map<string, BlockInput>()
  readonly #fingerprints = new Map<string, string>()
  #dirty = true // the first cycle always hands over a (possibly empty) state
  #last: PatchableVxlanState | undefined
  /** Route candidates of the current pools and blocks; dropped whenever either changes. */
  #candidates: RouteCandidates | undefined
  /** Node changes since the last hand-over (id → input; undefined = deleted). */
  readonly #changedNodes = new Map<string, NodeInput | undefined>()
  /** A pool or block changed: the fast path cannot be used. */
  #fullNeeded = true

  /** @param localNodeName this node's (local, unprefixed) name */
  constructor(
    private readonly localNodeName: string,
    private readonly driver: Pick<VxlanDriver, 'setDesired'>,
    private readonly log: Logger
  ) {}

  /** The state most recently handed to the driver. */
  get lastState(): VxlanState | undefined {
    return this.#last
  }

  onUpdate(u: KVUpdate): void {
    const key = parseKey(u.key)
    if (key === undefined) return
    const cluster = key.cluster
    const id = cluster === undefined ? key.name : `${cluster}/${key.name}`
    let stored: NodeInput | PoolInput | BlockInput | undefined
    switch (key.kind) {
      case 'Node':
        stored = u.value === undefined ? undefined : projectNode(id, key.name, cluster, u.value)
        if (this.#put(this.#nodes, u.key, stored)) {
          this.#changedNodes.set(id, stored)
          // Per-key work happens as updates arrive (memoised), leaving only global work for later.
          if (stored !== undefined) computeVtep(stored)
        }
        break
      case 'IPPool':
        stored = u.value === undefined ? undefined : projectPool(u.key, cluster, u.value)
        if (u.value !== undefined && stored === undefined)
          this.log.warn({ key: u.key }, 'malformed ip pool ignored')
        this.#put(this.#pools, u.key, stored)
        break
      case 'IPAMBlock':
        stored = u.value === undefined ? undefined : projectBlock(u.key, cluster, u.value)
        if (u.value !== undefined && stored === undefined)
          this.log.warn({ key: u.key }, 'malformed ipam block ignored')
        if (this.#put(this.#blocks, u.key, stored) && stored !== undefined) prepareBlock(stored)
        break
      case 'WorkloadEndpoint':
      case 'HostEndpoint':
      case 'Profile':
      case 'NetworkPolicy':
      case 'GlobalNetworkPolicy':
      case 'Tier':
      case 'NetworkSet':
      case 'GlobalNetworkSet':
      case 'RemoteClusterConfiguration':
      case 'RemoteClusterStatus':
      case 'Service':
      case 'Endpoints':
      case 'Secret':
        return // not ours: must not mark dirty
      default:
        assertNever(key.kind, 'resource kind')
    }
  }

  #put<T extends NodeInput | PoolInput | BlockInput>(
    m: Map<string, T>,
    key: string,
    v: T | undefined
  ): boolean {
    // A digest of the JSON text, not the text: a block's text is ~500 bytes, kept per key.
    const fp = v === undefined ? undefined : valueDigest(v)
    if (fp === this.#fingerprints.get(key)) return false // no change the calc could see
    if (v === undefined || fp === undefined) {
      m.delete(key)
      this.#fingerprints.delete(key)
    } else {
      m.set(key, v)
      this.#fingerprints.set(key, fp)
    }
    this.#dirty = true
    if (m !== (this.#nodes as Map<string, unknown>)) {
      this.#candidates = undefined
      this.#fullNeeded = true
    }
    return true
  }

  /** True when the next completeDeferredWork will recompute. */
  get dirty(): boolean {
    return this.#dirty
  }

  completeDeferredWork(): void {
    if (!this.#dirty) return
    const last = this.#last
    if (!this.#fullNeeded && last !== undefined && this.#changedNodes.size > 0) {
      // Fast path: only remote nodes changed; patch the last state in O(changes).
      const changed = patchRemoteNodes(last, this.#changedNodes, this.localNodeName)
      if (changed !== undefined) {
        this.#changedNodes.clear()
        this.driver.setDesired(last, changed)
        this.#dirty = false
        return
      }
    }
    const state = computeVxlanState(
      {
        localNodeId: this.localNodeName,
        nodes: this.#nodes.values(),
        pools: this.#pools.values(),
        blocks: this.#blocks.values(),
      },
      {
        ...(this.#candidates !== undefined && { candidates: this.#candidates }),
        ...(this.#last !== undefined && { routes: this.#last.routes }),
      }
    )
    this.#candidates = state.candidates
    // Index for the fast path now, as part of the full cycle, not in the first small change.
    indexCandidates(state.candidates)
    if (state.problems.length > 0 && this.log.isLevelEnabled('debug')) {
      this.log.debug(
        { problems: state.problems.slice(0, 20), count: state.problems.length },
        'vxlan calc skipped inputs'
      )
    }
    this.#last = state
    this.#changedNodes.clear()
    this.#fullNeeded = false
    this.driver.setDesired(state)
    this.#dirty = false
  }
}

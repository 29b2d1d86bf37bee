/**
 * Builders for calc inputs and KVUpdates (tests and benchmarks only).
 */
import type { CalicoNode, IPAMBlock, IPPool, KVUpdate } from '@cattail/model'
import type { BlockInput, NodeInput, PoolInput } from '../calc/types.js'

/** Options of {@link nodeInput}. */
export interface NodeOpts {
  readonly cluster?: string
  readonly ip?: string
  readonly tunnel?: string
  readonly mac?: string
}

/** A NodeInput for node `name` (id prefixed with the cluster for remote nodes). */
export function nodeInput(name: string, o: NodeOpts = {}): NodeInput {
  return {
    id: o.cluster === undefined ? name : `${o.cluster}/${name}`,
    name,
    cluster: o.cluster,
    spec: {
      ...(o.ip !== undefined && { bgp: { ipv4Address: o.ip } }),
      ...(o.tunnel !== undefined && { ipv4VXLANTunnelAddr: o.tunnel }),
      ...(o.mac !== undefined && { vxlanTunnelMACAddr: o.mac }),
    },
  }
}

/** A PoolInput. */
export function poolInput(
  cidr: string,
  o: { cluster?: string; mode?: IPPool['spec']['vxlanMode']; nat?: boolean; lbOnly?: boolean } = {}
): PoolInput {
  return {
    id: `${o.cluster === undefined ? '' : `${o.cluster}/`}IPPool/${cidr.replace('/', '-')}`,
    cluster: o.cluster,
    spec: poolSpec(cidr, o),
  }
}

/** An IPPool spec. */
export function poolSpec(
  cidr: string,
  o: { mode?: IPPool['spec']['vxlanMode']; nat?: boolean; lbOnly?: boolean } = {}
): IPPool['spec'] {
  return {
    cidr,
    vxlanMode: o.mode ?? 'Always',
    ipipMode: 'Never',
    natOutgoing: o.nat ?? false,
    disabled: false,
    ...(o.lbOnly === true && { allowedUses: ['LoadBalancer'] as const }),
  }
}

/** An IPAM block spec with optional borrowed allocations (`{ index: ownerNode }`). */
export function blockSpec(
  cidr: string,
  affinity: string | undefined,
  borrowed: Readonly<Record<number, string>> = {}
): IPAMBlock['spec'] {
  const size = 2 ** (32 - Number(cidr.split('/')[1]))
  const allocations: (number | null)[] = new Array<number | null>(size).fill(null)
  const attributes: { secondary?: Record<string, string> }[] = []
  for (const [idx, owner] of Object.entries(borrowed)) {
    allocations[Number(idx)] = attributes.length
    attributes.push({ secondary: { node: owner } })
  }
  return {
    cidr,
    ...(affinity !== undefined && { affinity }),
    allocations,
    unallocated: [],
    attributes,
  }
}

/** A BlockInput. */
export function blockInput(
  cidr: string,
  affinity: string | undefined,
  o: { cluster?: string; borrowed?: Readonly<Record<number, string>> } = {}
): BlockInput {
  return {
    id: `${o.cluster === undefined ? '' : `${o.cluster}/`}IPAMBlock/${cidr.replace('/', '-')}`,
    cluster: o.cluster,
    spec: blockSpec(cidr, affinity, o.borrowed),
  }
}

const prefix = (cluster: string | undefined): string => (cluster === undefined ? '' : `${cluster}/`)

/** A KVUpdate for a Node (remote: key `<c>/Node/<name>`, metadata.name `<c>/<name>`). */
export function nodeUpdate(name: string, o: NodeOpts = {}, revision = '1'): KVUpdate {
  const value: CalicoNode = {
    kind: 'Node',
    metadata: { name: `${prefix(o.cluster)}${name}` },
    spec: nodeInput(name, o).spec,
  }
  return { key: `${prefix(o.cluster)}Node/${name}`, value, revision }
}

/** A KVUpdate for an IP pool named `name`. */
export function poolUpdate(
  name: string,
  cidr: string,
  o: { cluster?: string; mode?: IPPool['spec']['vxlanMode']; nat?: boolean } = {},
  revision = '1'
): KVUpdate {
  const value: IPPool = {
    kind: 'IPPool',
    metadata: { name: `${prefix(o.cluster)}${name}` },
    spec: poolSpec(cidr, o),
  }
  return { key: `${prefix(o.cluster)}IPPool/${name}`, value, revision }
}

/** A KVUpdate for an IPAM block (named like Calico: `198-19-1-0-26`). */
export function blockUpdate(
  cidr: string,
  affinity: string | undefined,
  o: { cluster?: string; borrowed?: Readonly<Record<number, string>> } = {},
  revision = '1'
): KVUpdate {
  const name = cidr.replace(/[./]/g, '-')
  const value: IPAMBlock = {
    kind: 'IPAMBlock',
    metadata: { name: `${prefix(o.cluster)}${name}` },
    spec: blockSpec(cidr, affinity, o.borrowed),
  }
  return { key: `${prefix(o.cluster)}IPAMBlock/${name}`, value, revision }
}

/** A deletion of `key`. */
export function deleteUpdate(key: string, revision = '2'): KVUpdate {
  return { key, value: undefined, revision }
}

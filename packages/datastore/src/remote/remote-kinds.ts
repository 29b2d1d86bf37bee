/**
 * Which kinds a remote connection reads (Calico's remote felix syncer): workload endpoints, host
 * endpoints and profiles always; nodes, IP pools and IPAM blocks only with
 * `syncOptions.overlayRoutingMode: Enabled`. Services and Endpoints are read when the consumer
 * asked for them (the federation controller needs remote backing services). Policies, tiers,
 * RCCs and Secrets of a remote are never read. Pure.
 */
import type { OverlayRoutingMode, RemoteClusterConfiguration, ResourceKind } from '@cattail/model'

/** Kinds every remote connection reads (when the consumer wants them). */
export const REMOTE_ALWAYS_KINDS: readonly ResourceKind[] = [
  'WorkloadEndpoint',
  'HostEndpoint',
  'Profile',
]

/** Kinds a remote connection reads only with overlay routing enabled. */
export const REMOTE_OVERLAY_KINDS: readonly ResourceKind[] = ['Node', 'IPPool', 'IPAMBlock']

/** Kinds a remote connection reads for the federation controller, when the consumer wants them. */
export const REMOTE_FEDERATION_KINDS: readonly ResourceKind[] = ['Service', 'Endpoints']

/** The RCC's overlay routing mode; anything but `Enabled` (including junk) means Disabled. */
export function overlayRoutingModeOf(rcc: RemoteClusterConfiguration): OverlayRoutingMode {
  const spec: unknown = (rcc as { spec?: unknown }).spec
  if (typeof spec !== 'object' || spec === null) return 'Disabled'
  const opts: unknown = (spec as { syncOptions?: unknown }).syncOptions
  if (typeof opts !== 'object' || opts === null) return 'Disabled'
  return (opts as { overlayRoutingMode?: unknown }).overlayRoutingMode === 'Enabled'
    ? 'Enabled'
    : 'Disabled'
}

/**
 * Kinds to read from a remote with overlay mode `mode`, limited to those the consumer `wanted`.
 * Returned in a stable order (a set built from a fixed list), so it can be compared as JSON.
 */
export function remoteKinds(
  mode: OverlayRoutingMode,
  wanted: ReadonlySet<ResourceKind>
): ReadonlySet<ResourceKind> {
  const all = [
    ...REMOTE_ALWAYS_KINDS,
    ...(mode === 'Enabled' ? REMOTE_OVERLAY_KINDS : []),
    ...REMOTE_FEDERATION_KINDS,
  ]
  return new Set(all.filter((k) => wanted.has(k)))
}

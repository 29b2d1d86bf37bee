/**
 * Pure: turns a cache Service's EndpointSlices into the ordered list of cache URLs the sync client
 * tries (Typha's discovery: ready endpoints only, same-node caches first, each group shuffled).
 *
 * - Ready: `conditions.ready !== false` (an unset condition means ready, as in the API).
 * - Port: the slice's TCP port named `portName`, else its only TCP port; slices without one
 *   are skipped (ports may differ between slices, so each slice is resolved on its own).
 * - Address: the endpoint's first address (the API calls them fungible); IPv6 gets brackets.
 * - Order: endpoints on `nodeName` first, then the rest; each group shuffled with `random`
 *   (Fisher–Yates), so agents spread over the caches; duplicates keep their first place.
 */

/** The EndpointSlice fields read here (`V1EndpointSlice` of @kubernetes/client-node fits). */
export interface CacheEndpointSlice {
  readonly addressType?: string
  readonly endpoints?: readonly {
    readonly addresses?: readonly string[]
    readonly conditions?: { readonly ready?: boolean }
    readonly nodeName?: string
  }[]
  readonly ports?: readonly {
    readonly name?: string
    readonly port?: number
    readonly protocol?: string
  }[]
}

/** How to turn slices into URLs. */
export interface CacheEndpointOptions {
  /** Name of the cache port in the Service. @default 'cattail-cache' (in the agent config) */
  readonly portName: string
  /** This agent's node: its caches come first. */
  readonly nodeName: string
  /** `wss` when the agent uses mutual TLS, else `ws`. */
  readonly scheme: 'ws' | 'wss'
  /** Random source in [0, 1) for the shuffle. */
  readonly random: () => number
}

/** Ordered, de-duplicated cache URLs (`ws://10.0.0.5:5473`) from the slices of one Service. */
export function cacheAddressesFromSlices(
  slices: readonly CacheEndpointSlice[],
  opts: CacheEndpointOptions
): string[] {
  const local: string[] = []
  const remote: string[] = []
  for (const slice of slices) {
    const port = slicePort(slice, opts.portName)
    if (port === undefined) continue
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue
      const address = ep.addresses?.[0]
      if (address === undefined || address === '') continue
      const host = address.includes(':') ? `[${address}]` : address
      const url = `${opts.scheme}://${host}:${port}`
      ;(ep.nodeName === opts.nodeName ? local : remote).push(url)
    }
  }
  return [...new Set([...shuffle(local, opts.random), ...shuffle(remote, opts.random)])]
}

function slicePort(slice: CacheEndpointSlice, portName: string): number | undefined {
  const tcp = (slice.ports ?? []).filter(
    (p) => (p.protocol ?? 'TCP') === 'TCP' && p.port !== undefined && p.port > 0
  )
  const named = tcp.find((p) => p.name === portName)
  return (named ?? (tcp.length === 1 ? tcp[0] : undefined))?.port
}

function shuffle(a: string[], random: () => number): string[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[a[i], a[j]] = [a[j] as string, a[i] as string]
  }
  return a
}

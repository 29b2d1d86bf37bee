/**
 * Server-side printing (`meta.k8s.io/v1` Table) for the resources whose `kubectl get` columns
 * matter to tests: Endpoints (NAME, ENDPOINTS, AGE) and EndpointSlices (NAME, ADDRESSTYPE, PORTS,
 * ENDPOINTS, AGE), formatted as Kubernetes' printers do (three entries, then `+ N more...`).
 * Other resources keep the plain JSON answer (kubectl prints NAME and AGE itself).
 */
import type { ServedResource } from './served-resources.js'
import type { KubeObject } from './store.js'

interface Column {
  readonly name: string
  readonly cell: (o: KubeObject) => string
}

const MAX = 3

function more(items: readonly string[], none: string): string {
  if (items.length === 0) return none
  const head = items.slice(0, MAX).join(',')
  return items.length > MAX ? `${head} + ${items.length - MAX} more...` : head
}

function age(o: KubeObject): string {
  const t = Date.parse(
    String((o.metadata as { creationTimestamp?: string }).creationTimestamp ?? '')
  )
  if (Number.isNaN(t)) return '<unknown>'
  const s = Math.max(0, Math.floor((Date.now() - t) / 1000))
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`
}

interface Subset {
  addresses?: { ip?: string }[]
  ports?: { port?: number }[]
}

const COLUMNS: Readonly<Record<string, readonly Column[]>> = {
  endpoints: [
    {
      name: 'Endpoints',
      cell: (o) =>
        more(
          ((o['subsets'] as Subset[] | undefined) ?? []).flatMap((s) => {
            const ports = s.ports ?? []
            const addrs = s.addresses ?? []
            return ports.length === 0
              ? addrs.map((a) => a.ip ?? '')
              : ports.flatMap((p) => addrs.map((a) => `${a.ip ?? ''}:${p.port ?? ''}`))
          }),
          '<none>'
        ),
    },
  ],
  'endpointslices.discovery.k8s.io': [
    {
      name: 'AddressType',
      cell: (o) => (typeof o['addressType'] === 'string' ? o['addressType'] : ''),
    },
    {
      name: 'Ports',
      cell: (o) =>
        more(
          ((o['ports'] as { port?: number }[] | undefined) ?? []).map((p) => String(p.port ?? '')),
          '<unset>'
        ),
    },
    {
      name: 'Endpoints',
      cell: (o) =>
        more(
          ((o['endpoints'] as { addresses?: string[] }[] | undefined) ?? []).flatMap(
            (e) => e.addresses ?? []
          ),
          '<unset>'
        ),
    },
  ],
}

/** The Table for `body` (a list or one object of `resource`) when kubectl asked for one and we print it. */
export function asTable(
  resource: ServedResource,
  accept: string | undefined,
  body: unknown
): unknown {
  const id = resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`
  const cols = COLUMNS[id]
  if (cols === undefined || accept?.includes('as=Table') !== true) return undefined
  const b = body as { items?: KubeObject[]; metadata?: { resourceVersion?: string } }
  const items = Array.isArray(b.items) ? b.items : [body as KubeObject]
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: b.metadata?.resourceVersion ?? '' },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 },
      ...cols.map((c) => ({
        name: c.name,
        type: 'string',
        format: '',
        description: c.name,
        priority: 0,
      })),
      { name: 'Age', type: 'string', format: '', description: 'Age', priority: 0 },
    ],
    rows: items.map((o) => ({
      cells: [o.metadata.name, ...cols.map((c) => c.cell(o)), age(o)],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  }
}

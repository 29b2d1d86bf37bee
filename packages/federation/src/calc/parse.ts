/**
 * Untrusted Kubernetes JSON → the calc's normalised shapes. Services and Endpoints go through the
 * model's validating conversion (`fromKubernetes`); EndpointSlices, which the model does not
 * carry, are checked here field by field. Every function returns `{ ok: false, reason }` on bad
 * input and never throws: a malformed object from any cluster is reported and treated as absent.
 * Pure.
 */
import { fromKubernetes, ipVersionOf } from '@cattail/model'
import type {
  BackendAddress,
  BackendGroup,
  BackendPort,
  Protocol,
  ServiceInfo,
  TargetRef,
} from './types.js'

/** Result of a parse. */
export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string }

const PROTOCOLS: readonly string[] = ['TCP', 'UDP', 'SCTP']

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** A Service (raw JSON) from cluster `cluster` ('' = local). */
export function parseService(raw: unknown, cluster: string): Parsed<ServiceInfo> {
  const res = fromKubernetes('services', raw)
  if (!res.ok) return { ok: false, reason: res.error.message }
  const svc = res.resources[0]
  if (svc?.kind !== 'Service') return { ok: false, reason: 'not a Service' }
  const m = svc.metadata
  return {
    ok: true,
    value: {
      cluster,
      namespace: m.namespace ?? '',
      name: m.name,
      ...(m.uid !== undefined && { uid: m.uid }),
      labels: m.labels ?? {},
      annotations: m.annotations ?? {},
      hasSpecSelector: svc.spec.selector !== undefined,
      ports: (svc.spec.ports ?? []).map((p) => ({
        name: p.name ?? '',
        protocol: p.protocol ?? 'TCP',
      })),
    },
  }
}

/** An Endpoints object (raw JSON) → its groups (one per subset). */
export function parseEndpoints(
  raw: unknown
): Parsed<{ namespace: string; name: string; groups: BackendGroup[] }> {
  const res = fromKubernetes('endpoints', raw)
  if (!res.ok) return { ok: false, reason: res.error.message }
  const ep = res.resources[0]
  if (ep?.kind !== 'Endpoints') return { ok: false, reason: 'not an Endpoints' }
  const groups = ep.spec.subsets.map((s) => ({
    ports: (s.ports ?? []).map((p) => ({
      name: p.name ?? '',
      protocol: (p.protocol ?? 'TCP') as Protocol,
      port: p.port,
    })),
    addresses: [
      ...(s.addresses ?? []).map((a) => ({ ...a, ready: true })),
      ...(s.notReadyAddresses ?? []).map((a) => ({ ...a, ready: false })),
    ],
  }))
  return {
    ok: true,
    value: { namespace: ep.metadata.namespace ?? '', name: ep.metadata.name, groups },
  }
}

/** What an EndpointSlice contributes: its Service, and one group. */
export interface ParsedSlice {
  readonly namespace: string
  readonly name: string
  /** `kubernetes.io/service-name`, undefined when the slice belongs to no Service. */
  readonly service: string | undefined
  readonly labels: Readonly<Record<string, string>>
  readonly group: BackendGroup
}

class Bad extends Error {}

function str(v: unknown, f: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new Bad(`${f} must be a string`)
  return v
}

function strMap(v: unknown, f: string): Record<string, string> {
  if (v === undefined || v === null) return {}
  if (!isRecord(v)) throw new Bad(`${f} must be a map`)
  const out: Record<string, string> = {}
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new Bad(`${f}.${k} must be a string`)
    out[k] = x
  }
  return out
}

function list(v: unknown, f: string): readonly unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new Bad(`${f} must be a list`)
  return v
}

function targetRefOf(v: unknown, f: string): TargetRef | undefined {
  if (v === undefined || v === null) return undefined
  if (!isRecord(v)) throw new Bad(`${f} must be an object`)
  const out: Record<string, string> = {}
  for (const k of ['kind', 'name', 'namespace', 'uid'] as const) {
    const s = str(v[k], `${f}.${k}`)
    if (s !== undefined) out[k] = s
  }
  return out
}

function slicePort(v: unknown, f: string): BackendPort | undefined {
  if (!isRecord(v)) throw new Bad(`${f} must be an object`)
  const protocol = str(v['protocol'], `${f}.protocol`) ?? 'TCP'
  if (!PROTOCOLS.includes(protocol))
    throw new Bad(`${f}.protocol ${JSON.stringify(protocol)} is not TCP, UDP or SCTP`)
  const port = v['port']
  // a slice port without a number means "all ports" (rare); it cannot be federated
  if (port === undefined || port === null) return undefined
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new Bad(`${f}.port must be an integer 1..65535`)
  return { name: str(v['name'], `${f}.name`) ?? '', protocol: protocol as Protocol, port }
}

function sliceEndpoints(v: unknown, f: string, family: 4 | 6): BackendAddress[] {
  if (!isRecord(v)) throw new Bad(`${f} must be an object`)
  const addrs = list(v['addresses'], `${f}.addresses`)
  const cond = v['conditions']
  if (cond !== undefined && cond !== null && !isRecord(cond))
    throw new Bad(`${f}.conditions must be an object`)
  const ready = isRecord(cond) ? cond['ready'] !== false : true
  const hostname = str(v['hostname'], `${f}.hostname`)
  const nodeName = str(v['nodeName'], `${f}.nodeName`)
  const targetRef = targetRefOf(v['targetRef'], `${f}.targetRef`)
  return addrs.map((a, i) => {
    if (typeof a !== 'string' || ipVersionOf(a) !== family)
      throw new Bad(`${f}.addresses[${i}] ${JSON.stringify(a)} is not an IPv${family} address`)
    return {
      ip: a,
      ready,
      ...(hostname !== undefined && { hostname }),
      ...(nodeName !== undefined && { nodeName }),
      ...(targetRef !== undefined && { targetRef }),
    }
  })
}

/** An EndpointSlice (raw JSON). FQDN slices contribute no addresses. */
export function parseEndpointSlice(raw: unknown): Parsed<ParsedSlice> {
  try {
    if (!isRecord(raw)) throw new Bad('must be an object')
    const meta = raw['metadata']
    if (!isRecord(meta)) throw new Bad('metadata must be an object')
    const name = str(meta['name'], 'metadata.name')
    const namespace = str(meta['namespace'], 'metadata.namespace')
    if (name === undefined || name === '') throw new Bad('metadata.name is missing')
    if (namespace === undefined || namespace === '') throw new Bad('metadata.namespace is missing')
    const labels = strMap(meta['labels'], 'metadata.labels')
    const type = raw['addressType']
    const family = type === 'IPv4' ? 4 : type === 'IPv6' ? 6 : undefined
    if (family === undefined && type !== 'FQDN')
      throw new Bad(`addressType ${JSON.stringify(type)} is not IPv4, IPv6 or FQDN`)
    const ports = list(raw['ports'], 'ports').flatMap((p, i) => slicePort(p, `ports[${i}]`) ?? [])
    const addresses =
      family === undefined
        ? []
        : list(raw['endpoints'], 'endpoints').flatMap((e, i) =>
            sliceEndpoints(e, `endpoints[${i}]`, family)
          )
    return {
      ok: true,
      value: {
        namespace,
        name,
        service: labels['kubernetes.io/service-name'],
        labels,
        group: { ports, addresses },
      },
    }
  } catch (err) {
    if (err instanceof Bad) return { ok: false, reason: `EndpointSlice: ${err.message}` }
    throw err
  }
}

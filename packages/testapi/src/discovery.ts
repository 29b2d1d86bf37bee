/**
 * Discovery documents (`/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`, `/version`), built
 * from the resources served at the time of the request (the static table plus kinds registered
 * from CustomResourceDefinitions). A group lists its versions by kube-aware priority (v2 > v1 >
 * v1beta2 > v1beta1 > v1alpha1 > other), the first being the preferred one. Only the legacy (unaggregated) discovery format is served:
 * kubectl asks for the aggregated `apidiscovery.k8s.io/v2` form first and falls back to this one
 * when the reply is plain `application/json`.
 */
import { RESOURCE_VERBS, type ServedResource } from './served-resources.js'

/** `/version`. */
export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-cattail-testapi',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
}

/** `/api`. */
export function coreVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  }
}

const VERSION_RE = /^v(\d+)(?:(alpha|beta)(\d+))?$/

/** Kubernetes' version priority: GA before beta before alpha, higher numbers first, then others by name. */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = VERSION_RE.exec(v)
    if (m === null) return [3, 0, 0, v]
    const level = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2
    return [level, -Number(m[1]), -Number(m[3] ?? 0), v]
  }
  const [x, y] = [rank(a), rank(b)]
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number)
  return x[3] < y[3] ? -1 : x[3] > y[3] ? 1 : 0
}

/** Groups other than core, each with its versions, preferred first. */
function groups(resources: readonly ServedResource[]): Map<string, string[]> {
  const m = new Map<string, string[]>()
  for (const r of resources) {
    if (r.group === '') continue
    const vs = m.get(r.group) ?? []
    if (!vs.includes(r.version)) vs.push(r.version)
    m.set(r.group, vs)
  }
  for (const vs of m.values()) vs.sort(compareVersions)
  return m
}

/** `/apis`. */
export function groupList(resources: readonly ServedResource[]): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups(resources)].map(([name, versions]) => groupDoc(name, versions)),
  }
}

function groupDoc(name: string, versions: readonly string[]): object {
  const gvs = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }))
  return { name, versions: gvs, preferredVersion: gvs[0] }
}

/** `/apis/<group>` or undefined when unknown. */
export function group(resources: readonly ServedResource[], name: string): object | undefined {
  const vs = groups(resources).get(name)
  return vs === undefined
    ? undefined
    : { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(name, vs) }
}

/** `/api/v1` or `/apis/<group>/<version>`; undefined when nothing is served there. */
export function resourceList(
  resources: readonly ServedResource[],
  group: string,
  version: string
): object | undefined {
  const rs = resources.filter((r) => r.group === group && r.version === version)
  if (rs.length === 0) return undefined
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: rs.flatMap((r) => resourceDocs(r)),
  }
}

function resourceDocs(r: ServedResource): object[] {
  const main = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: [...(r.verbs ?? RESOURCE_VERBS)],
    ...(r.shortNames !== undefined && { shortNames: [...r.shortNames] }),
    storageVersionHash: Buffer.from(`${r.group}/${r.plural}`).toString('base64').slice(0, 11),
  }
  if (r.status !== true) return [main]
  return [
    main,
    {
      name: `${r.plural}/status`,
      singularName: '',
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: ['get', 'patch', 'update'],
    },
  ]
}

/**
 * Discovery documents (`/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`, `/version`), built
 * from the served-resource table. Only the legacy (unaggregated) discovery format is served:
 * kubectl asks for the aggregated `apidiscovery.k8s.io/v2` form first and falls back to this one
 * when the reply is plain `application/json`.
 */
import { RESOURCE_VERBS, SERVED_RESOURCES, type ServedResource } from './served-resources.js'

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

/** Groups other than core, each with its single version. */
function groups(): Map<string, string> {
  const m = new Map<string, string>()
  for (const r of SERVED_RESOURCES) if (r.group !== '') m.set(r.group, r.version)
  return m
}

/** `/apis`. */
export function groupList(): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups()].map(([name, version]) => groupDoc(name, version)),
  }
}

function groupDoc(name: string, version: string): object {
  const gv = { groupVersion: `${name}/${version}`, version }
  return { name, versions: [gv], preferredVersion: gv }
}

/** `/apis/<group>` or undefined when unknown. */
export function group(name: string): object | undefined {
  const v = groups().get(name)
  return v === undefined ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(name, v) }
}

/** `/api/v1` or `/apis/<group>/<version>`; undefined when nothing is served there. */
export function resourceList(group: string, version: string): object | undefined {
  const rs = SERVED_RESOURCES.filter((r) => r.group === group && r.version === version)
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

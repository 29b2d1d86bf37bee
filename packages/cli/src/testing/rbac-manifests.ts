/**
 * The RBAC documents of docker/manifests, as data: loading them into a test API server, expanding
 * Roles and ClusterRoles into single permissions (group, resource, verb), and removing exactly one
 * of them. Used by the least-privilege proof; pure apart from reading the manifest files.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import type { KubeObject, TestApiServer } from '@cattail/testapi'

/** docker/manifests, from this file (src or dist). */
export const MANIFESTS_DIR = fileURLToPath(
  new URL('../../../../docker/manifests/', import.meta.url)
)

/** The documents of one manifest file (relative to docker/manifests). */
export function loadManifest(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(MANIFESTS_DIR + file, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((d): d is KubeObject => d !== null)
}

/** Test API server resource id of a manifest kind. */
const RESOURCE_OF: Readonly<Record<string, string>> = {
  Namespace: 'namespaces',
  ServiceAccount: 'serviceaccounts',
  Role: 'roles.rbac.authorization.k8s.io',
  ClusterRole: 'clusterroles.rbac.authorization.k8s.io',
  RoleBinding: 'rolebindings.rbac.authorization.k8s.io',
  ClusterRoleBinding: 'clusterrolebindings.rbac.authorization.k8s.io',
}

/** Writes the documents into `api` (admin access); other kinds are ignored. */
export function applyDocs(api: TestApiServer, docs: readonly KubeObject[]): void {
  for (const d of docs) {
    const id = RESOURCE_OF[d.kind ?? '']
    if (id !== undefined) api.put(id, structuredClone(d))
  }
}

/** One verb on one resource, granted by one role. */
export interface Permission {
  /** `ClusterRole/name` or `Role/namespace/name`. */
  readonly role: string
  readonly group: string
  readonly resource: string
  readonly verb: string
}

interface Rule {
  apiGroups?: string[]
  resources?: string[]
  verbs?: string[]
  resourceNames?: string[]
}

const roleId = (d: KubeObject): string =>
  d.kind === 'Role'
    ? `Role/${d.metadata.namespace ?? ''}/${d.metadata.name ?? ''}`
    : `ClusterRole/${d.metadata.name ?? ''}`

const isRole = (d: KubeObject): boolean => d.kind === 'Role' || d.kind === 'ClusterRole'

/** Every permission the roles in `docs` grant. */
export function permissions(docs: readonly KubeObject[]): Permission[] {
  const out: Permission[] = []
  for (const d of docs.filter(isRole))
    for (const r of (d['rules'] ?? []) as Rule[])
      for (const group of r.apiGroups ?? [])
        for (const resource of r.resources ?? [])
          for (const verb of r.verbs ?? []) out.push({ role: roleId(d), group, resource, verb })
  return out
}

/** The roles of `docs` with one permission taken away (every other grant kept). */
export function rolesWithout(docs: readonly KubeObject[], p: Permission): KubeObject[] {
  return docs.filter(isRole).map((d) => {
    if (roleId(d) !== p.role) return d
    const rules: Rule[] = []
    for (const r of (d['rules'] ?? []) as Rule[]) {
      const hit =
        (r.apiGroups ?? []).includes(p.group) &&
        (r.resources ?? []).includes(p.resource) &&
        (r.verbs ?? []).includes(p.verb)
      if (!hit) {
        rules.push(r)
        continue
      }
      const otherGroups = (r.apiGroups ?? []).filter((g) => g !== p.group)
      const otherResources = (r.resources ?? []).filter((x) => x !== p.resource)
      const otherVerbs = (r.verbs ?? []).filter((v) => v !== p.verb)
      if (otherGroups.length > 0) rules.push({ ...r, apiGroups: otherGroups })
      if (otherResources.length > 0)
        rules.push({ ...r, apiGroups: [p.group], resources: otherResources })
      if (otherVerbs.length > 0)
        rules.push({ ...r, apiGroups: [p.group], resources: [p.resource], verbs: otherVerbs })
    }
    return { ...d, rules }
  })
}

/** Service accounts (`namespace/name`) a role is bound to in `docs`. */
export function subjectsOf(docs: readonly KubeObject[], role: string): string[] {
  const out: string[] = []
  for (const b of docs.filter((d) => d.kind === 'RoleBinding' || d.kind === 'ClusterRoleBinding')) {
    const ref = (b['roleRef'] ?? {}) as { kind?: string; name?: string }
    const id =
      ref.kind === 'Role'
        ? `Role/${b.metadata.namespace ?? ''}/${ref.name ?? ''}`
        : `ClusterRole/${ref.name ?? ''}`
    if (id !== role) continue
    for (const s of (b['subjects'] ?? []) as { kind?: string; name?: string; namespace?: string }[])
      if (s.kind === 'ServiceAccount') out.push(`${s.namespace ?? ''}/${s.name ?? ''}`)
  }
  return out
}

/** The fragment of the 403 message a denial of `p` to service account `sa` carries. */
export function denialText(sa: string, p: Permission): string {
  const [ns, name] = sa.split('/')
  return `User "system:serviceaccount:${ns ?? ''}:${name ?? ''}" cannot ${p.verb} resource "${p.resource}" in API group "${p.group}"`
}

/**
 * RBAC as kube-apiserver's RBAC authorizer evaluates it, over the Roles, ClusterRoles and bindings
 * in the store: a request is allowed when some binding whose subjects name the user refers to a
 * role with a rule matching the request's verb, API group, resource (`plural` or
 * `plural/subresource`, `*` wildcards) and, when set, resourceNames. ClusterRoleBindings grant
 * everywhere; RoleBindings grant only in their namespace (to a Role there or a ClusterRole).
 * Denials carry the real Forbidden message.
 */
import { ApiStatusError } from './status.js'
import type { KubeObject } from './store.js'

/** Who sent a request. */
export type Identity =
  | { readonly kind: 'admin' }
  | { readonly kind: 'serviceaccount'; readonly namespace: string; readonly name: string }

/** The user name of an identity (`system:serviceaccount:<ns>:<name>`). */
export const userName = (id: Identity): string =>
  id.kind === 'admin' ? 'cattail-test-admin' : `system:serviceaccount:${id.namespace}:${id.name}`

/** What a request does, in the authorizer's terms. */
export interface RequestAttributes {
  readonly verb: string
  readonly group: string
  /** Plural resource name. */
  readonly resource: string
  readonly subresource?: string | undefined
  readonly namespace?: string | undefined
  readonly name?: string | undefined
}

/** The RBAC objects the authorizer reads (lists from the store). */
export interface RbacObjects {
  readonly roles: readonly KubeObject[]
  readonly clusterRoles: readonly KubeObject[]
  readonly roleBindings: readonly KubeObject[]
  readonly clusterRoleBindings: readonly KubeObject[]
}

interface Rule {
  verbs?: string[]
  apiGroups?: string[]
  resources?: string[]
  resourceNames?: string[]
}
interface Subject {
  kind?: string
  name?: string
  namespace?: string
}
interface RoleRef {
  kind?: string
  name?: string
}

const has = (list: readonly string[] | undefined, v: string): boolean =>
  list !== undefined && (list.includes('*') || list.includes(v))

function ruleMatches(rule: Rule, a: RequestAttributes): boolean {
  if (!has(rule.verbs, a.verb) || !has(rule.apiGroups, a.group)) return false
  const res = a.subresource === undefined ? a.resource : `${a.resource}/${a.subresource}`
  const rs = rule.resources ?? []
  const resOk =
    rs.includes('*') ||
    rs.includes(res) ||
    (a.subresource !== undefined && rs.includes(`*/${a.subresource}`)) ||
    (a.subresource === undefined && rs.includes(`${a.resource}/*`))
  if (!resOk) return false
  const names = rule.resourceNames ?? []
  return names.length === 0 || (a.name !== undefined && names.includes(a.name))
}

function subjectMatches(s: Subject, id: Identity): boolean {
  if (id.kind !== 'serviceaccount') return false
  switch (s.kind) {
    case 'ServiceAccount':
      return s.name === id.name && s.namespace === id.namespace
    case 'User':
      return s.name === userName(id)
    case 'Group':
      return (
        s.name === 'system:serviceaccounts' ||
        s.name === `system:serviceaccounts:${id.namespace}` ||
        s.name === 'system:authenticated'
      )
    case undefined:
    default:
      return false
  }
}

const rulesOf = (o: KubeObject | undefined): Rule[] =>
  Array.isArray(o?.['rules']) ? (o['rules'] as Rule[]) : []

/** True when RBAC allows `a` for `id` (the admin is always allowed). */
export function isAllowed(rbac: RbacObjects, id: Identity, a: RequestAttributes): boolean {
  if (id.kind === 'admin') return true
  const bound = (b: KubeObject): boolean =>
    Array.isArray(b['subjects']) && (b['subjects'] as Subject[]).some((s) => subjectMatches(s, id))
  const clusterRole = (name: string | undefined): KubeObject | undefined =>
    rbac.clusterRoles.find((r) => r.metadata.name === name)
  for (const b of rbac.clusterRoleBindings) {
    const ref = (b['roleRef'] ?? {}) as RoleRef
    if (ref.kind !== 'ClusterRole' || !bound(b)) continue
    if (rulesOf(clusterRole(ref.name)).some((r) => ruleMatches(r, a))) return true
  }
  if (a.namespace === undefined) return false
  for (const b of rbac.roleBindings) {
    if (b.metadata.namespace !== a.namespace || !bound(b)) continue
    const ref = (b['roleRef'] ?? {}) as RoleRef
    const role =
      ref.kind === 'Role'
        ? rbac.roles.find(
            (r) => r.metadata.name === ref.name && r.metadata.namespace === a.namespace
          )
        : ref.kind === 'ClusterRole'
          ? clusterRole(ref.name)
          : undefined
    if (rulesOf(role).some((r) => ruleMatches(r, a))) return true
  }
  return false
}

/** 403 Forbidden with kube-apiserver's message. */
export function forbidden(id: Identity, a: RequestAttributes): ApiStatusError {
  const res = a.subresource === undefined ? a.resource : `${a.resource}/${a.subresource}`
  const qualified = a.group === '' ? a.resource : `${a.resource}.${a.group}`
  const subject = a.name !== undefined && a.name !== '' ? `${qualified} "${a.name}"` : qualified
  const scope =
    a.namespace !== undefined ? `in the namespace "${a.namespace}"` : 'at the cluster scope'
  return new ApiStatusError(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${userName(id)}" cannot ${a.verb} resource "${res}" in API group "${a.group}" ${scope}`,
    { ...(a.name !== undefined && { name: a.name }), group: a.group, kind: a.resource }
  )
}

/**
 * The served resources of the auth API groups: RBAC objects (rbac.authorization.k8s.io/v1, stored
 * like any other resource) and SelfSubjectAccessReview (authorization.k8s.io/v1, create only,
 * answered by the server and never stored). TokenRequest is the `token` subresource of
 * serviceaccounts (see auth.ts).
 */
import type { ServedResource } from './served-resources.js'

const rbac = (plural: string, kind: string, namespaced: boolean): ServedResource => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  singular: kind.toLowerCase(),
  kind,
  namespaced,
})

/** RBAC kinds and the access review. */
export const AUTH_RESOURCES: readonly ServedResource[] = [
  rbac('roles', 'Role', true),
  rbac('rolebindings', 'RoleBinding', true),
  rbac('clusterroles', 'ClusterRole', false),
  rbac('clusterrolebindings', 'ClusterRoleBinding', false),
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    plural: 'selfsubjectaccessreviews',
    singular: 'selfsubjectaccessreview',
    kind: 'SelfSubjectAccessReview',
    namespaced: false,
    verbs: ['create'],
  },
]

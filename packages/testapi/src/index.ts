/**
 * @module @cattail/testapi: a test Kubernetes API server for cattail's tests (never shipped in the
 * image). It speaks the real wire protocol for what cattail and kubectl use: discovery, list with
 * resourceVersion/limit/continue/selectors, watch with bookmarks and 410 Expired, get, create,
 * update, merge/strategic/JSON/apply patches, delete, TLS with its own CA and bearer tokens, and
 * the kinds of CustomResourceDefinitions applied at run time.
 *
 * @example
 * ```ts
 * import { startTestApiServer } from '@cattail/testapi'
 * const api = await startTestApiServer({ bookmarkIntervalMs: 100 })
 * api.put('pods', { metadata: { name: 'p1', namespace: 'default' }, spec: { nodeName: 'n1' } })
 * const kubeconfigYaml = api.kubeconfig() // for @kubernetes/client-node or kubectl
 * await api.stop(); await api.restart() // same port, same objects
 * ```
 */
export * from './server.js'
export { renderKubeconfig, type KubeconfigParams } from './kubeconfig.js'
export type { KubeObject, KubeMeta } from './store.js'
export {
  SERVED_RESOURCES,
  findResource,
  resourceId,
  apiVersionOf,
  type ServedResource,
} from './served-resources.js'
export type { StatusBody } from './status.js'
export { decodeProtobufBody, PROTOBUF_MEDIA_TYPE } from './protobuf.js'
export { isAllowed, type Identity, type RequestAttributes, type RbacObjects } from './rbac.js'

/**
 * @module @cattail/model: resource types (Calico v3 and the Kubernetes objects cattail reads),
 * the key scheme with remote-cluster prefixes, conversions and validation. Pure: no I/O.
 *
 * @example
 * ```ts
 * import { fromKubernetes, keyToString, keyOf, parseResource, prefixForCluster } from '@cattail/model'
 * keyToString({ cluster: 'b', kind: 'Node', name: 'node1' }) // 'b/Node/node1'
 * const res = fromKubernetes('pods', pod)        // { ok: true, resources: [WorkloadEndpoint] }
 * const pool = parseResource(yamlDoc)            // { ok: false, error: ValidationError } on bad input
 * const remote = prefixForCluster('b', wep)      // spec.node 'b/node1', profiles 'b/kns.default'
 * ```
 */
export * from './resources.js'
export * from './key.js'
export * from './update.js'
export * from './errors.js'
export * from './remote.js'
export type * from './kube/types.js'
export * from './convert/index.js'
export * from './validate/index.js'

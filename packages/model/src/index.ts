/**
 * @module @cattail/model: resource types (Calico v3 and the Kubernetes objects cattail reads),
 * the key scheme with remote-cluster prefixes, conversions and validation. Pure: no I/O.
 *
 * @example
 * ```ts
 * import { keyToString, parseKey } from '@cattail/model'
 * keyToString({ cluster: 'b', kind: 'Node', name: 'node1' }) // 'b/Node/node1'
 * ```
 */
export * from './resources.js'
export * from './key.js'
export * from './update.js'

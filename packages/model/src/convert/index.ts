/** Conversions from Kubernetes objects to model resources (see `fromKubernetes`). */
export * from './result.js'
export * from './kube-resources.js'
export * from './from-kubernetes.js'
export * from './names.js'
export { ANNOTATION_CONTAINER_ID, ANNOTATION_POD_IP, ANNOTATION_POD_IPS } from './pod.js'
export { NODE_ANNOTATIONS } from './node.js'
export { KNP_ORDER } from './network-policy.js'

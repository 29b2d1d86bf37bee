/**
 * Public surface of the kubernetes driver: the syncer (normally made through `createSyncer`), its
 * tuning, the kubeconfig loader and its errors.
 */
export { KubeSyncer, collectionPath } from './kube-syncer.js'
export { DEFAULT_REFLECTOR_CONFIG, type ReflectorConfig } from './reflector.js'
export { loadKubeConfig } from './kubeconfig.js'
export { KubeApi } from './kube-api.js'
export { KubeconfigError, KubeApiError } from './errors.js'

/**
 * Public surface of the kubernetes driver: the syncer (normally made through `createSyncer`), its
 * tuning, the kubeconfig loader and its errors, and the list+watch building blocks (Reflector over
 * KubeApi) for components that mirror resources the model does not carry (EndpointSlices, for the
 * federation controller).
 */
export { KubeSyncer, collectionPath } from './kube-syncer.js'
export {
  DEFAULT_REFLECTOR_CONFIG,
  Reflector,
  type ChangeType,
  type RawObject,
  type ReflectorConfig,
  type ReflectorHandler,
} from './reflector.js'
export { KubeApi } from './kube-api.js'
export { loadKubeConfig } from '@cattail/kubeconfig'
export { KubeconfigError, KubeApiError } from './errors.js'

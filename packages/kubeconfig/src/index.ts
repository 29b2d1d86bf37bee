/**
 * @cattail/kubeconfig: the one kubeconfig loader and checker, shared by the datastore (local and
 * remote kubernetes drivers) and the agent (cache discovery). `check` is pure; `load` does I/O.
 */
export {
  checkKubeconfig,
  isUrl,
  CLUSTER_FILE_FIELDS,
  USER_FILE_FIELDS,
  USER_COMMAND_FIELDS,
  type KubeconfigCheckOptions,
} from './check.js'
export {
  loadKubeConfig,
  KubeconfigError,
  type KubeconfigSource,
  type KubeconfigOverrides,
  type LoadKubeConfigOptions,
} from './load.js'

/**
 * Loads a KubeConfig for the driver from a path, an inline string (a Secret's contents) or the
 * in-cluster service account, applies single-value overrides (the RCC `k8sAPIEndpoint`,
 * `k8sCAFile` … fields) and checks that the result can be used, so a bad kubeconfig fails fast
 * with a KubeconfigError instead of surfacing later as an obscure request error.
 */
import { readFileSync } from 'node:fs'
import { KubeConfig } from '@kubernetes/client-node'
import { errorMessage } from '@cattail/common'
import type { DatastoreConfig } from '../syncer.js'
import { KubeconfigError } from './errors.js'

type KubeDatastore = Extract<DatastoreConfig, { type: 'kubernetes' }>

/** Loads and validates the kubeconfig of `cfg`. Throws KubeconfigError. */
export function loadKubeConfig(cfg: Pick<KubeDatastore, 'kubeconfig' | 'overrides'>): KubeConfig {
  const kc = new KubeConfig()
  const src = cfg.kubeconfig
  try {
    switch (src.kind) {
      case 'path':
        kc.loadFromFile(src.path)
        break
      case 'inline':
        if (src.contents.trim() === '') throw new KubeconfigError('the inline kubeconfig is empty')
        kc.loadFromString(src.contents)
        break
      case 'in-cluster':
        if (process.env['KUBERNETES_SERVICE_HOST'] === undefined)
          throw new KubeconfigError('in-cluster: KUBERNETES_SERVICE_HOST is not set')
        kc.loadFromCluster()
        break
    }
  } catch (err) {
    if (err instanceof KubeconfigError) throw err
    throw new KubeconfigError(`cannot load (${src.kind}): ${errorMessage(err)}`, err)
  }
  const cluster = kc.getCurrentCluster()
  const user = kc.getCurrentUser()
  if (kc.getCurrentContext() === '' || cluster === null)
    throw new KubeconfigError('no current context with a cluster')
  const o = cfg.overrides ?? {}
  const server = o.server ?? cluster.server
  const patchedCluster = {
    ...cluster,
    server,
    ...(o.caFile !== undefined && { caFile: o.caFile, caData: undefined }),
    ...(o.insecureSkipTLSVerify !== undefined && { skipTLSVerify: o.insecureSkipTLSVerify }),
  }
  const patchedUser = {
    ...(user ?? { name: 'user' }),
    ...(o.token !== undefined && { token: o.token }),
    ...(o.certFile !== undefined && { certFile: o.certFile, certData: undefined }),
    ...(o.keyFile !== undefined && { keyFile: o.keyFile, keyData: undefined }),
  }
  kc.loadFromClusterAndUser(patchedCluster, patchedUser)
  check(kc)
  return kc
}

function check(kc: KubeConfig): void {
  const cluster = kc.getCurrentCluster()
  if (cluster === null) throw new KubeconfigError('no current cluster')
  let url: URL
  try {
    url = new URL(cluster.server)
  } catch {
    throw new KubeconfigError(`cluster ${cluster.name}: server "${cluster.server}" is not a URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new KubeconfigError(
      `cluster ${cluster.name}: server must be http(s), got ${url.protocol}`
    )
  if (url.protocol === 'http:' && cluster.skipTLSVerify !== true)
    throw new KubeconfigError(
      `cluster ${cluster.name}: a plain http server needs insecure-skip-tls-verify: true`
    )
  const user = kc.getCurrentUser()
  const files: [string, string | undefined][] = [
    ['certificate-authority', cluster.caFile],
    ['client-certificate', user?.certFile],
    ['client-key', user?.keyFile],
  ]
  for (const [what, file] of files) {
    if (file === undefined || file === '') continue
    try {
      readFileSync(file)
    } catch (err) {
      throw new KubeconfigError(`${what} file ${file} is not readable: ${errorMessage(err)}`, err)
    }
  }
}

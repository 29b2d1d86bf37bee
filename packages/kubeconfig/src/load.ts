/**
 * The one kubeconfig loader (I/O): every component that talks to a Kubernetes API server (the
 * datastore's kubernetes driver, the mesh syncer's remotes, the agent's cache discovery) builds
 * its @kubernetes/client-node KubeConfig here, from a path, inline contents (a remote's RCC field
 * or Secret) or the in-cluster service account.
 *
 * It applies single-value overrides (the RCC `k8sAPIEndpoint`, `k8sCAFile` … fields) and checks
 * that the result can be used, so a bad kubeconfig fails fast with a KubeconfigError naming the
 * problem instead of surfacing later as an obscure request error. Untrusted inline contents are
 * checked by the pure {@link checkKubeconfig} (no exec, auth-provider or path fields) BEFORE
 * client-node parses them: client-node reads `token-file` while parsing.
 */
import { readFileSync } from 'node:fs'
import { KubeConfig } from '@kubernetes/client-node'
import { ConfigError, errorMessage } from '@cattail/common'
import { checkKubeconfig } from './check.js'

/** How to reach a Kubernetes API server. Exactly one source of a kubeconfig. */
export type KubeconfigSource =
  | { readonly kind: 'path'; readonly path: string }
  | {
      readonly kind: 'inline'
      readonly contents: string
      /**
       * Set when the contents did not come from the operator's own flags (an RCC's
       * `kubeconfigInline` or its access Secret): exec, auth-provider and path fields are
       * rejected; `allowExec` admits exec plugins (the cache's explicit flag).
       */
      readonly untrusted?: { readonly allowExec: boolean }
    }
  | { readonly kind: 'in-cluster' }

/** Overrides of single kubeconfig values (RCC `k8sAPIEndpoint` …). */
export interface KubeconfigOverrides {
  readonly server?: string
  readonly caFile?: string
  readonly certFile?: string
  readonly keyFile?: string
  readonly token?: string
  readonly insecureSkipTLSVerify?: boolean
}

/** Options of {@link loadKubeConfig}. */
export interface LoadKubeConfigOptions {
  readonly overrides?: KubeconfigOverrides
  /** Environment consulted for the in-cluster source. @default process.env */
  readonly env?: NodeJS.ProcessEnv
}

/**
 * The kubeconfig could not be loaded or is unusable (bad YAML, no current context or cluster,
 * missing server, unreadable CA/cert/key file, a forbidden field in an untrusted kubeconfig,
 * missing in-cluster environment). A configuration problem, so it carries `ERR_CONFIG` (remote
 * clusters report it as ConfigIncomplete).
 */
export class KubeconfigError extends ConfigError {
  /**
   * @param problem - what is wrong, e.g. `no current context with a cluster`
   * @param cause - the underlying error, if any
   */
  constructor(
    readonly problem: string,
    cause?: unknown
  ) {
    super([`kubeconfig: ${problem}`])
    if (cause !== undefined) this.cause = cause
  }
}

/** Loads and validates a kubeconfig. Throws KubeconfigError. */
export function loadKubeConfig(
  src: KubeconfigSource,
  opts: LoadKubeConfigOptions = {}
): KubeConfig {
  const kc = new KubeConfig()
  const o = opts.overrides ?? {}
  try {
    switch (src.kind) {
      case 'path':
        kc.loadFromFile(src.path)
        break
      case 'inline': {
        if (src.contents.trim() === '') throw new KubeconfigError('the inline kubeconfig is empty')
        if (src.untrusted !== undefined) {
          const problem = checkKubeconfig(src.contents, {
            untrusted: true,
            allowExec: src.untrusted.allowExec,
            ...(o.server !== undefined && { serverOverride: o.server }),
          })
          if (problem !== undefined) throw new KubeconfigError(problem)
        }
        kc.loadFromString(src.contents)
        if (src.untrusted !== undefined) checkLoadedUntrusted(kc, src.untrusted.allowExec)
        break
      }
      case 'in-cluster':
        if ((opts.env ?? process.env)['KUBERNETES_SERVICE_HOST'] === undefined)
          throw new KubeconfigError(
            'in-cluster: KUBERNETES_SERVICE_HOST is not set (outside a cluster, give a kubeconfig)'
          )
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
  const patchedCluster = {
    ...cluster,
    server: o.server ?? cluster.server,
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
  checkUsable(kc)
  return kc
}

/** The parsed form must agree with the text check: no command and no file in any entry. */
function checkLoadedUntrusted(kc: KubeConfig, allowExec: boolean): void {
  for (const u of kc.users) {
    const bad: [string, unknown][] = [
      ['exec', allowExec ? undefined : u.exec],
      ['auth-provider', u.authProvider],
      ['client-certificate', u.certFile],
      ['client-key', u.keyFile],
    ]
    for (const [field, v] of bad) {
      if (v !== undefined && v !== null && v !== '')
        throw new KubeconfigError(
          `users["${u.name}"].user.${field} is not allowed in a remote cluster's kubeconfig`
        )
    }
  }
  for (const c of kc.clusters) {
    if (c.caFile !== undefined && c.caFile !== null && c.caFile !== '')
      throw new KubeconfigError(
        `clusters["${c.name}"].cluster.certificate-authority is not allowed in a remote cluster's kubeconfig`
      )
  }
}

function checkUsable(kc: KubeConfig): void {
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

/**
 * Finds the cattail caches behind a Kubernetes Service (I/O): lists the Service's
 * `discovery.k8s.io/v1` EndpointSlices (label `kubernetes.io/service-name=<name>`) and orders
 * them with the pure {@link cacheAddressesFromSlices} (ready only, same node first, shuffled).
 *
 * Overview
 * --------
 * The sync client asks {@link CacheDiscovery.addresses} at the start of every round of
 * connection attempts (Typha's ConnectionAttemptTracker re-lists once its cached addresses are
 * used up). A failed list throws a {@link CacheDiscoveryError}; the client logs it, falls back to
 * the last list it got and asks again next round. The kubeconfig is loaded and checked once, at
 * start ({@link loadDiscoveryKubeConfig}), so a bad one is a ConfigError, not a retry loop.
 *
 * Why not a watch (informer): the list is needed only when the agent (re)connects, which is rare;
 * one list per round costs less than a watch held open by every node against the API server.
 */
import {
  ApiException,
  DiscoveryV1Api,
  type KubeConfig,
  Observable,
  type ConfigurationOptions,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node'
import { ConfigError, MeshError, errorMessage, type Logger } from '@cattail/common'
import { KubeconfigError, loadKubeConfig } from '@cattail/kubeconfig'
import { cacheAddressesFromSlices } from './cache-endpoints.js'

/** Where the caches are and how to reach them. */
export interface CacheDiscoveryConfig {
  /** Namespace of the cache Service. */
  readonly namespace: string
  /** Name of the cache Service (the slices' `kubernetes.io/service-name` label). */
  readonly service: string
  /** Name of the cache port in the Service (else its only port). */
  readonly portName: string
  /** This agent's node: caches on it are tried first. */
  readonly nodeName: string
  /** `wss` when the agent uses mutual TLS, else `ws`. */
  readonly scheme: 'ws' | 'wss'
  /** One list request gives up after this long, ms. @default 10000 */
  readonly requestTimeoutMs: number
}

/** Defaults of {@link CacheDiscoveryConfig}. */
export const DEFAULT_CACHE_DISCOVERY_CONFIG: Pick<CacheDiscoveryConfig, 'requestTimeoutMs'> =
  Object.freeze({ requestTimeoutMs: 10_000 })

/** Listing the cache Service's EndpointSlices failed (retried by the sync client). */
export class CacheDiscoveryError extends MeshError {
  readonly code = 'ERR_CACHE_DISCOVERY'
  constructor(
    readonly service: string,
    detail: string,
    cause: unknown
  ) {
    super(`listing the EndpointSlices of service ${service} failed: ${detail}`, { cause })
  }
}

/**
 * Loads the kubeconfig at `path` (undefined = the in-cluster service account) through the shared
 * loader (@cattail/kubeconfig) and checks that it names a usable server. Throws a ConfigError
 * naming `--kubeconfig`.
 */
export function loadDiscoveryKubeConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env
): KubeConfig {
  const what = path === undefined ? 'in-cluster config' : `--kubeconfig ${path}`
  try {
    return loadKubeConfig(path === undefined ? { kind: 'in-cluster' } : { kind: 'path', path }, {
      env,
    })
  } catch (err) {
    const problem = err instanceof KubeconfigError ? err.problem : errorMessage(err)
    throw new ConfigError([`${what}: ${problem}`])
  }
}

/** Lists the cache Service's ready endpoints, ordered for this node. */
export class CacheDiscovery {
  readonly #api: DiscoveryV1Api
  readonly #log: Logger
  #last = ''

  /**
   * @param cfg what to list and how to build URLs
   * @param kc a loaded kubeconfig ({@link loadDiscoveryKubeConfig})
   * @param log parent logger (`component: 'cache-discovery'`)
   * @param random random source for the shuffle (tests)
   */
  constructor(
    private readonly cfg: CacheDiscoveryConfig,
    kc: KubeConfig,
    log: Logger,
    private readonly random: () => number = Math.random
  ) {
    this.#api = kc.makeApiClient(DiscoveryV1Api)
    this.#log = log.child({
      component: 'cache-discovery',
      service: `${cfg.namespace}/${cfg.service}`,
    })
  }

  /**
   * Ordered cache URLs (may be empty: no ready cache). Throws CacheDiscoveryError when the list
   * fails or takes longer than `requestTimeoutMs`; `signal` cancels the request.
   */
  async addresses(signal?: AbortSignal): Promise<string[]> {
    const timeout = AbortSignal.timeout(this.cfg.requestTimeoutMs)
    const abort = signal === undefined ? timeout : AbortSignal.any([signal, timeout])
    const service = `${this.cfg.namespace}/${this.cfg.service}`
    let items
    try {
      const list = await this.#api.listNamespacedEndpointSlice(
        {
          namespace: this.cfg.namespace,
          labelSelector: `kubernetes.io/service-name=${this.cfg.service}`,
        },
        withSignal(abort)
      )
      items = list.items
    } catch (err) {
      const detail = timeout.aborted
        ? `no answer within ${this.cfg.requestTimeoutMs} ms`
        : apiErrorDetail(err)
      throw new CacheDiscoveryError(service, detail, err)
    }
    const addresses = cacheAddressesFromSlices(items, {
      portName: this.cfg.portName,
      nodeName: this.cfg.nodeName,
      scheme: this.cfg.scheme,
      random: this.random,
    })
    const key = [...addresses].sort().join(',')
    if (key !== this.#last) {
      this.#last = key
      this.#log.info({ addresses, slices: items.length }, 'cache endpoints changed')
    }
    return addresses
  }
}

/** Request options that attach `signal` to the request (client-node 2.x middleware). */
function withSignal(signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(signal)
          return new Observable(Promise.resolve(ctx))
        },
        post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: 'append',
  }
}

/** `HTTP 403: <Status message>` for API errors, the error's message otherwise. */
function apiErrorDetail(err: unknown): string {
  if (!(err instanceof ApiException)) return errorMessage(err)
  let message = ''
  try {
    const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body
    if (body !== null && typeof body === 'object' && 'message' in body)
      message = String(body.message)
  } catch {
    message = String(err.body).slice(0, 200)
  }
  return `HTTP ${err.code}${message === '' ? '' : `: ${message}`}`
}

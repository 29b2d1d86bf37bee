/**
 * The number of cache replicas, for the connection-limit formula, from the cache Service's
 * EndpointSlices (Typha's `rebalance.go` polls them the same way; unlike Typha we count only
 * ready endpoints, as the agents' discovery does, so a replica that is starting or failing does
 * not shrink everyone's share).
 *
 * Implementation: every `intervalMs` one list of `discovery.k8s.io/v1` EndpointSlices labelled
 * `kubernetes.io/service-name=<service>` in `<namespace>`; the count is the number of distinct
 * first addresses of endpoints whose `conditions.ready` is not false. A failed list keeps the
 * last count (logged); before the first success the count is undefined (the server then uses
 * the static `--replicas`, or behaves as a lone replica).
 */
import { errorMessage, type Logger } from '@cattail/common'
import { KubeApi, loadKubeConfig, type KubeconfigSource } from '@cattail/datastore'

/** Ready cache replicas in EndpointSlices (distinct first addresses of ready endpoints). */
export function readyReplicaCount(slices: unknown): number {
  const items = (slices as { items?: unknown } | null)?.items
  if (!Array.isArray(items)) return 0
  const seen = new Set<string>()
  for (const s of items as { endpoints?: unknown }[]) {
    if (!Array.isArray(s?.endpoints)) continue
    for (const ep of s.endpoints as {
      addresses?: unknown
      conditions?: { ready?: unknown }
    }[]) {
      if (ep?.conditions?.ready === false) continue
      const a: unknown = Array.isArray(ep?.addresses) ? ep.addresses[0] : undefined
      if (typeof a === 'string' && a !== '') seen.add(a)
    }
  }
  return seen.size
}

/** Where the cache Service is and how often to look. */
export interface ReplicaCounterConfig {
  readonly kubeconfig: KubeconfigSource
  readonly namespace: string
  readonly service: string
  /** @default 30000 (Typha's K8sServicePollIntervalSecs) */
  readonly intervalMs: number
  /** One list gives up after this long. @default 10000 */
  readonly requestTimeoutMs: number
}

/** Polls the cache Service's ready endpoints. */
export class ServiceReplicaCounter {
  #count: number | undefined
  #timer: NodeJS.Timeout | undefined
  readonly #api: KubeApi
  readonly #log: Logger
  /** Completed polls (tests wait on it). */
  polls = 0

  /** Loads the kubeconfig at once (throws a KubeconfigError when unusable). */
  constructor(
    private readonly cfg: ReplicaCounterConfig,
    log: Logger
  ) {
    this.#api = new KubeApi(loadKubeConfig(cfg.kubeconfig), cfg.requestTimeoutMs)
    this.#log = log.child({
      component: 'replica-counter',
      service: `${cfg.namespace}/${cfg.service}`,
    })
  }

  /** Ready replicas at the last successful poll; undefined before the first. */
  get count(): number | undefined {
    return this.#count
  }

  /** Polls now, then every `intervalMs`. */
  start(): void {
    void this.poll()
    // One poll at a time: a slow API server (timeout longer than the interval) must not pile
    // requests up.
    let busy = false
    const tick = (): void => {
      if (busy) return
      busy = true
      void this.poll().finally(() => (busy = false))
    }
    this.#timer = setInterval(tick, this.cfg.intervalMs)
    this.#timer.unref()
  }

  /** Stops polling. */
  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** One poll. Never throws. */
  async poll(): Promise<void> {
    const q = new URLSearchParams({
      labelSelector: `kubernetes.io/service-name=${this.cfg.service}`,
    })
    const path = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(this.cfg.namespace)}/endpointslices?${q.toString()}`
    try {
      const body = await this.#api.getJson(path, AbortSignal.timeout(this.cfg.requestTimeoutMs))
      const n = readyReplicaCount(body)
      if (n !== this.#count) this.#log.info({ replicas: n }, 'cache replicas changed')
      this.#count = n
    } catch (err) {
      this.#log.warn(
        { err: errorMessage(err) },
        'listing the cache endpoints failed; keeping the last count'
      )
    } finally {
      this.polls++
    }
  }
}

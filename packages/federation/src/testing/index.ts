/**
 * Test helpers for the federation controller: test Kubernetes API servers meshed both ways (an RCC
 * plus a kubeconfig Secret in each cluster for every other), Service / EndpointSlice / Endpoints
 * builders, and a controller replica wired to a test server with fast lease timings.
 */
import { createSilentLogger, type Logger } from '@cattail/common'
import { tempDir, type TempDir } from '@cattail/common/testing'
import { startTestApiServer, type KubeObject, type TestApiServer } from '@cattail/testapi'
import { SERVICE_SELECTOR_ANNOTATION } from '../calc/types.js'
import { parseConfig } from '../config.js'
import { FederationDaemon } from '../daemon.js'

/** Namespace of the RCC access Secrets in the test clusters. */
export const TEST_SECRETS_NAMESPACE = 'cattail-system'

const b64 = (s: string): string => Buffer.from(s).toString('base64')

/** A set of test API servers, one per cluster name. */
export interface TestMesh {
  readonly clusters: ReadonlyMap<string, TestApiServer>
  /** The server of `name` (throws when unknown). */
  api(name: string): TestApiServer
  /** Stops every server. */
  stop(): Promise<void>
}

/** Puts RCC `remote` (with its kubeconfig Secret) into `into`, pointing at `target`. */
export function meshTo(into: TestApiServer, remote: string, target: TestApiServer): void {
  into.put('secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `remote-${remote}`, namespace: TEST_SECRETS_NAMESPACE },
    data: { datastoreType: b64('kubernetes'), kubeconfig: b64(target.kubeconfig()) },
  })
  into.put('remoteclusterconfigurations.crd.projectcalico.org', {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'RemoteClusterConfiguration',
    metadata: { name: remote },
    spec: {
      clusterAccessSecret: {
        kind: 'Secret',
        name: `remote-${remote}`,
        namespace: TEST_SECRETS_NAMESPACE,
      },
    },
  })
}

/** Starts one test API server per name, each with an RCC for every other (meshed both ways). */
export async function startTestMesh(
  names: readonly string[],
  namespaces: readonly string[]
): Promise<TestMesh> {
  const clusters = new Map<string, TestApiServer>()
  try {
    for (const n of names) clusters.set(n, await startTestApiServer({ bookmarkIntervalMs: 200 }))
  } catch (err) {
    await Promise.all([...clusters.values()].map((a) => a.stop()))
    throw err
  }
  for (const [n, api] of clusters) {
    for (const ns of [TEST_SECRETS_NAMESPACE, ...namespaces]) {
      api.put('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
    }
    for (const [m, other] of clusters) if (m !== n) meshTo(api, m, other)
  }
  return {
    clusters,
    api: (name) => {
      const a = clusters.get(name)
      if (a === undefined) throw new Error(`no cluster ${name}`)
      return a
    },
    stop: async () => {
      await Promise.all([...clusters.values()].map((a) => a.stop()))
    },
  }
}

/** A Service port for {@link service}. */
export interface PortSpec {
  readonly name?: string
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP'
  readonly port: number
}

/** A Service object. `selector` makes it a normal Service; `federate` adds the annotation. */
export function service(
  ns: string,
  name: string,
  opts: {
    readonly labels?: Record<string, string>
    readonly ports?: readonly PortSpec[]
    readonly federate?: string
    readonly selector?: Record<string, string>
  } = {}
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: ns,
      ...(opts.labels !== undefined && { labels: opts.labels }),
      ...(opts.federate !== undefined && {
        annotations: { [SERVICE_SELECTOR_ANNOTATION]: opts.federate },
      }),
    },
    spec: {
      ports: (opts.ports ?? [{ name: 'http', port: 9080 }]).map((p) => ({ protocol: 'TCP', ...p })),
      ...(opts.selector !== undefined && { selector: opts.selector }),
    },
  }
}

/** A backend pod address. */
export interface Backend {
  readonly pod: string
  readonly ip: string
  readonly ready?: boolean
}

/** An EndpointSlice of Service `svc` listing `backends` with `ports`. */
export function endpointSlice(
  ns: string,
  svc: string,
  backends: readonly Backend[],
  ports: readonly PortSpec[] = [{ name: 'http', port: 9080 }],
  suffix = 'x1'
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${svc}-${suffix}`,
      namespace: ns,
      labels: {
        'kubernetes.io/service-name': svc,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
    },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
    endpoints: backends.map((b) => ({
      addresses: [b.ip],
      conditions: { ready: b.ready ?? true },
      nodeName: 'node-1',
      targetRef: { kind: 'Pod', name: b.pod, namespace: ns, uid: `uid-${b.pod}` },
    })),
  }
}

/** A v1 Endpoints object of Service `svc` (for clusters or Services without slices). */
export function endpointsObject(
  ns: string,
  svc: string,
  backends: readonly Backend[],
  ports: readonly PortSpec[] = [{ name: 'http', port: 9080 }]
): KubeObject {
  const addr = (b: Backend) => ({
    ip: b.ip,
    targetRef: { kind: 'Pod', name: b.pod, namespace: ns },
  })
  const ready = backends.filter((b) => b.ready !== false).map(addr)
  const notReady = backends.filter((b) => b.ready === false).map(addr)
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: svc, namespace: ns },
    subsets: [
      {
        ...(ready.length > 0 && { addresses: ready }),
        ...(notReady.length > 0 && { notReadyAddresses: notReady }),
        ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
      },
    ],
  }
}

/** Options of {@link startTestController}: raw option values (camelCase keys) and a logger. */
export interface TestControllerOptions {
  readonly options?: Record<string, string>
  readonly log?: Logger
  readonly identity?: string
}

/** A controller replica on a test server (health and metrics off unless asked). */
export interface TestController {
  readonly daemon: FederationDaemon
  stop(): Promise<void>
}

/** Starts a controller replica against `api` with fast lease timings. */
export async function startTestController(
  api: TestApiServer,
  opts: TestControllerOptions = {}
): Promise<TestController> {
  const dir: TempDir = await tempDir('cattail-fed-')
  const kubeconfig = await api.writeKubeconfig(dir.path)
  const cfg = parseConfig({
    kubeconfig,
    secretsNamespace: TEST_SECRETS_NAMESPACE,
    leaseNamespace: TEST_SECRETS_NAMESPACE,
    leaseDurationMs: '2000',
    leaseRenewDeadlineMs: '1500',
    leaseRetryPeriodMs: '200',
    startupRemoteWaitMs: '5000',
    healthEnabled: 'false',
    metricsEnabled: 'false',
    ...(opts.identity !== undefined && { leaseIdentity: opts.identity }),
    ...opts.options,
  })
  const daemon = new FederationDaemon(
    { ...cfg, controller: { ...cfg.controller, retryDelayMs: 100, reflector: FAST_REFLECTOR } },
    opts.log ?? createSilentLogger(),
    { defaultMetrics: false }
  )
  await daemon.start()
  return {
    daemon,
    stop: async () => {
      await daemon.stop()
      await dir.remove()
    },
  }
}

/** Reflector tuning for tests: quick reconnects. */
export const FAST_REFLECTOR = {
  pageSize: 500,
  watchTimeoutMinS: 300,
  watchTimeoutMaxS: 600,
  inactivityTimeoutMs: 150_000,
  minWatchDurationMs: 1000,
  requestTimeoutMs: 5000,
  backoff: { initialMs: 50, maxMs: 500, factor: 2, jitter: 0.2 },
} as const

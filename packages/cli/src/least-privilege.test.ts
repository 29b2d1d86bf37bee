/**
 * Least privilege, proven: the cache (kubernetes datastore plus a remote), the agent's cache
 * discovery and (once it exists) the federation controller run against test API servers that
 * ENFORCE exactly the RBAC of docker/manifests (base/rbac.yaml for the local cluster,
 * remote-cluster/rbac.yaml for a remote). With all rules everything works and nothing is denied;
 * with any single verb on any single resource removed, the component that needs it is denied
 * (the server's 403 is observed), so no rule is unused.
 *
 * Components are consumers: each names its service account and how to start it against a
 * kubeconfig. The federation controller is one of them: before each start the local cluster is
 * set up so that one run uses every verb its roles grant (see seedFederation).
 */
import { strict as assert } from 'node:assert'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { type TempDir, tempDir, waitFor } from '@cattail/common/testing'
import { CacheDiscovery, loadDiscoveryKubeConfig } from '@cattail/agent'
import { CACHE_KINDS, ServiceReplicaCounter } from '@cattail/cache'
import { FederationDaemon, parseConfig as parseFederationConfig } from '@cattail/federation'
import { FAST_REFLECTOR } from '@cattail/federation/testing'
import type { ResourceKind } from '@cattail/model'
import { type KubeObject, type TestApiServer, startTestApiServer } from '@cattail/testapi'
import {
  type Permission,
  applyDocs,
  denialText,
  loadManifest,
  permissions,
  rolesWithout,
  subjectsOf,
} from './testing/rbac-manifests.js'
import { type Running, startMesh } from './testing/mesh.js'

const NS = 'cattail-system'
const REMOTE = 'cluster-b'

/** A component that talks to the API server as service account `sa`. */
interface Consumer {
  readonly name: string
  /** `namespace/name` */
  readonly sa: string
  start(local: string, remote: string, dir: string): Promise<Running>
}

const b64 = (s: string): string => Buffer.from(s).toString('base64')
const cache: Consumer = {
  name: 'cache (kubernetes datastore + remote cluster-b)',
  sa: `${NS}/cattail-cache`,
  start: (local) => startMesh(local, CACHE_KINDS, REMOTE, 'kns.apps'),
}

const agentDiscovery: Consumer = {
  name: "agent's cache discovery",
  sa: `${NS}/cattail-agent`,
  start: async (local, _remote, dir) => {
    const path = join(dir, 'agent.kubeconfig')
    await writeFile(path, local)
    const d = new CacheDiscovery(
      {
        namespace: NS,
        service: 'cattail-cache',
        portName: 'cattail-cache',
        nodeName: 'n1',
        scheme: 'wss',
        requestTimeoutMs: 5000,
      },
      loadDiscoveryKubeConfig(path),
      createSilentLogger()
    )
    const found = await d.addresses().then(
      (a) => a,
      () => []
    )
    return { works: () => found.length === 1, stop: () => Promise.resolve() }
  },
}

/** The cache's replica count (`--cache-service`): the ready endpoints of its own Service. */
const cacheReplicas: Consumer = {
  name: 'cache replica count (--cache-service)',
  sa: `${NS}/cattail-cache`,
  start: async (local, _remote, dir) => {
    const path = join(dir, 'cache-replicas.kubeconfig')
    await writeFile(path, local)
    const counter = new ServiceReplicaCounter(
      {
        kubeconfig: { kind: 'path', path },
        namespace: NS,
        service: 'cattail-cache',
        intervalMs: 600_000,
        requestTimeoutMs: 5000,
      },
      createSilentLogger()
    )
    await counter.poll()
    return { works: () => counter.count === 1, stop: () => Promise.resolve(counter.stop()) }
  },
}

/** Readers of the remote as the federation controller does (mesh syncer asking for Services and Endpoints). */
const federationRemoteReads: Consumer = {
  name: "federation controller's remote reads",
  sa: `${NS}/cattail-remote-reader`,
  start: (local) => startMesh(local, new Set<ResourceKind>(['Service', 'Endpoints']), REMOTE),
}

/** The local test API server, for the federation consumer's set-up before each start. */
let seedApi: TestApiServer | undefined
const APPS = 'apps'
const BACKEND_IP = '198.18.0.21'
const FEDERATION_LEASE = 'cattail-federation'

/**
 * Puts the local cluster in a state where one run of the federation controller uses every verb
 * its roles grant: a federated Service with nothing written yet (create), one whose owned
 * Endpoints and slices are stale (update), owned objects of a Service that no longer exists
 * (delete), an annotated Service with a selector (a Warning Event), no Lease (get, create, then
 * renewals: update), and the RCC with its Secret (list/watch).
 */
function seedFederation(api: TestApiServer): void {
  api.put('services', fedService('fed-backing', { app: 'x' }, undefined, { app: 'x' }))
  api.put('endpointslices.discovery.k8s.io', {
    metadata: {
      name: 'fed-backing-x1',
      namespace: APPS,
      labels: { 'kubernetes.io/service-name': 'fed-backing' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [BACKEND_IP], conditions: { ready: true } }],
    ports: [{ name: 'http', port: 9080, protocol: 'TCP' }],
  })
  api.put('services', fedService('fed-new', {}, 'app == "x"'))
  api.put('services', fedService('fed-stale', {}, 'app == "x"'))
  api.put('services', fedService('fed-selector', {}, 'app == "x"', { app: 'x' }))
  for (const kind of ['endpoints', 'endpointslices.discovery.k8s.io']) {
    const owned = api.list(kind, APPS).filter((o) => o.metadata.labels?.[MANAGED_BY] === 'cattail')
    for (const o of owned) {
      const name = o.metadata.name ?? ''
      const svc = o.metadata.labels?.['kubernetes.io/service-name'] ?? name
      if (svc === 'fed-new') api.remove(kind, name, APPS)
      if (svc === 'fed-stale') {
        api.put(kind, { ...o, ...staleContent(kind) })
        // and a copy for a Service that does not exist: the controller deletes what it owns there
        api.put(kind, {
          ...o,
          ...staleContent(kind),
          metadata: {
            name: name.replace('fed-stale', 'fed-gone'),
            namespace: APPS,
            labels: { ...o.metadata.labels, 'kubernetes.io/service-name': 'fed-gone' },
            ...(o.metadata.annotations !== undefined && { annotations: o.metadata.annotations }),
          },
        })
      }
    }
  }
  api.remove('leases.coordination.k8s.io', FEDERATION_LEASE, NS)
}

const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by'

function fedService(
  name: string,
  labels: Record<string, string>,
  federate?: string,
  selector?: Record<string, string>
): KubeObject {
  return {
    metadata: {
      name,
      namespace: APPS,
      labels,
      ...(federate !== undefined && {
        annotations: { 'federation.tigera.io/serviceSelector': federate },
      }),
    },
    spec: {
      ports: [{ name: 'http', port: 9080, protocol: 'TCP' }],
      ...(selector !== undefined && { selector }),
    },
  }
}

function staleContent(kind: string): Partial<KubeObject> {
  return kind === 'endpoints'
    ? { subsets: [{ addresses: [{ ip: '198.18.0.99' }], ports: [{ name: 'http', port: 9080 }] }] }
    : { endpoints: [{ addresses: ['198.18.0.99'], conditions: { ready: true } }] }
}

/** The federation controller (one replica, fast lease timings) against the local cluster. */
const federation: Consumer = {
  name: 'federation controller',
  sa: `${NS}/cattail-federation`,
  start: async (local, _remote, dir) => {
    const api = seedApi
    if (api === undefined) throw new Error('seedApi not set')
    seedFederation(api)
    const path = join(dir, `federation-${Date.now()}.kubeconfig`)
    await writeFile(path, local)
    const cfg = parseFederationConfig({
      kubeconfig: path,
      secretsNamespace: NS,
      leaseNamespace: NS,
      leaseName: FEDERATION_LEASE,
      leaseDurationMs: '2000',
      leaseRenewDeadlineMs: '1500',
      leaseRetryPeriodMs: '200',
      startupRemoteWaitMs: '3000',
      healthEnabled: 'false',
      metricsEnabled: 'false',
    })
    const daemon = new FederationDaemon(
      { ...cfg, controller: { ...cfg.controller, retryDelayMs: 100, reflector: FAST_REFLECTOR } },
      createSilentLogger(),
      { defaultMetrics: false }
    )
    await daemon.start()
    const has = (name: string): boolean =>
      JSON.stringify(api.get('endpoints', name, APPS)?.['subsets'] ?? []).includes(BACKEND_IP)
    return {
      works: () =>
        has('fed-new') &&
        has('fed-stale') &&
        api.get('endpoints', 'fed-gone', APPS) === undefined &&
        api.list('events', APPS).some((e) => JSON.stringify(e).includes('fed-selector')),
      stop: () => daemon.stop(),
    }
  },
}

/** Local consumers. */
const LOCAL_CONSUMERS: readonly Consumer[] = [cache, cacheReplicas, agentDiscovery, federation]

/** What a remote cluster serves to the cache and the federation controller. */
const REMOTE_CONSUMERS: readonly Consumer[] = [
  { ...cache, sa: `${NS}/cattail-remote-reader` },
  federationRemoteReads,
]

const slice: KubeObject = {
  metadata: {
    name: 'cattail-cache-x1',
    namespace: NS,
    labels: { 'kubernetes.io/service-name': 'cattail-cache' },
  },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['198.18.0.10'], nodeName: 'n1', conditions: { ready: true } }],
  ports: [{ name: 'cattail-cache', port: 5473, protocol: 'TCP' }],
}

void describe('least privilege: the manifests grant exactly what the code uses (test API servers enforcing RBAC)', () => {
  let local: TestApiServer
  let remote: TestApiServer
  let dir: TempDir

  before(async () => {
    local = await startTestApiServer({ bookmarkIntervalMs: 200 })
    remote = await startTestApiServer({ bookmarkIntervalMs: 200 })
    dir = await tempDir('cattail-least-priv-')
    seedApi = local
    for (const api of [local, remote]) api.put('namespaces', { metadata: { name: 'apps' } })
    local.put('endpointslices.discovery.k8s.io', slice)
    local.put('remoteclusterconfigurations.crd.projectcalico.org', {
      metadata: { name: REMOTE },
      spec: {
        clusterAccessSecret: { kind: 'Secret', name: REMOTE, namespace: NS },
        syncOptions: { overlayRoutingMode: 'Enabled' },
      },
    })
  })
  after(async () => {
    await local.stop()
    await remote.stop()
    await dir.remove()
  })

  /** Points the RCC's Secret at the remote with `token`. */
  const remoteSecret = (token: string): void => {
    local.put('secrets', {
      metadata: { name: REMOTE, namespace: NS },
      data: { datastoreType: b64('kubernetes'), kubeconfig: b64(remote.kubeconfig({ token })) },
    })
  }

  /**
   * Proves `docs` on `api` for `consumers`: all work with zero denials; then per permission of a
   * role bound to a consumer's service account, that permission alone removed → a denial of it.
   */
  async function prove(
    api: TestApiServer,
    docs: readonly KubeObject[],
    consumers: readonly Consumer[],
    kubeconfigs: (c: Consumer) => { local: string; remote: string }
  ): Promise<{ proven: Permission[]; unbound: Permission[] }> {
    applyDocs(api, docs)
    api.setEnforceRbac(true)
    try {
      const start = async (cs: readonly Consumer[]): Promise<Running[]> => {
        const rs: Running[] = []
        for (const c of cs) {
          const k = kubeconfigs(c)
          rs.push(await c.start(k.local, k.remote, dir.path))
        }
        return rs
      }
      const before = api.denials().length
      const all = await start(consumers)
      try {
        for (const [i, r] of all.entries())
          await waitFor(() => r.works(), {
            timeoutMs: 20_000,
            what: `${consumers[i]?.name} working with every rule`,
          })
      } finally {
        for (const r of all) await r.stop()
      }
      assert.deepEqual(api.denials().slice(before), [], 'no request denied with the full rules')

      const proven: Permission[] = []
      const unbound: Permission[] = []
      for (const p of permissions(docs)) {
        const sas = subjectsOf(docs, p.role)
        const users = consumers.filter((c) => sas.includes(c.sa))
        if (users.length === 0) {
          unbound.push(p)
          continue
        }
        applyDocs(api, rolesWithout(docs, p))
        const from = api.denials().length
        const running = await start(users)
        try {
          await waitFor(
            () =>
              api
                .denials()
                .slice(from)
                .some((m) => users.some((c) => m.includes(denialText(c.sa, p)))),
            {
              timeoutMs: 15_000,
              what: `a denial of ${p.verb} ${p.resource}.${p.group} once ${p.role} no longer grants it`,
            }
          )
        } finally {
          for (const r of running) await r.stop()
          applyDocs(api, docs)
        }
        proven.push(p)
      }
      return { proven, unbound }
    } finally {
      api.setEnforceRbac(false)
    }
  }

  void it('local cluster (rbac.yaml): cache, agent and federation work, and every granted verb is needed', async (t) => {
    const docs = loadManifest('base/rbac.yaml')
    remoteSecret(remote.token)
    const { proven, unbound } = await prove(local, docs, LOCAL_CONSUMERS, (c) => {
      const [ns = '', name = ''] = c.sa.split('/')
      return { local: local.kubeconfig({ token: local.serviceAccountToken(ns, name) }), remote: '' }
    })
    t.diagnostic(`proven ${proven.length} local permissions, each needed by a consumer`)
    assert.ok(proven.length >= 45, `proven: ${proven.length}`)
    assert.ok(
      proven.some((p) => p.role === 'ClusterRole/cattail-federation' && p.verb === 'delete'),
      'the federation controller is among the consumers'
    )
    assert.deepEqual(unbound, [], 'every granted permission has a consumer that needs it')
  })

  void it('remote cluster (remote-cluster/rbac.yaml): remote reads work, and every granted verb is needed', async () => {
    const docs = loadManifest('remote-cluster/rbac.yaml')
    applyDocs(remote, docs)
    remoteSecret(remote.serviceAccountToken(NS, 'cattail-remote-reader'))
    const { proven, unbound } = await prove(remote, docs, REMOTE_CONSUMERS, () => ({
      local: local.kubeconfig(),
      remote: '',
    }))
    assert.deepEqual(unbound, [])
    assert.equal(proven.length, permissions(docs).length)
  })
})

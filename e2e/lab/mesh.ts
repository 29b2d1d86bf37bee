/**
 * The e2e mesh harness: builds the three-cluster lab of `clusters.ts` in network namespaces and
 * runs every component as a real process, as root.
 *
 *   ns <p>-ctl: br0 198.18.0.254/16 (the underlay bridge)
 *     testapi A  127.0.0.1:6443   (cluster A's Kubernetes API: its Calico datastore)
 *     testapi B  127.0.0.1:6444   (cluster B's Kubernetes API: Services only)
 *     etcd B     127.0.0.1:2379   etcd C 127.0.0.1:2479
 *     cache A ×2 198.18.0.254:5473 and :5475   cache B 198.18.0.254:5474
 *   ns <p>-a1, -a2, -b1, -b2: nodes (eth0 on the underlay, one agent each), each with a pod ns
 *
 * RemoteClusterConfigurations go both ways through Secrets: A's `cluster-b` (etcdv3, plus a
 * kubeconfig for B's API server) and `cluster-c` (etcdv3), B's `cluster-a` (kubernetes, a
 * kubeconfig for A's test API server). Everything runs inside the namespaces it creates;
 * `destroy()` kills every process and removes every namespace, also after a failed step.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { waitFor } from '@cattail/common'
import { cattailArgv, etcdRcc, LAB_CONTROL_IP, MeshLab } from '@cattail/cli'
import { etcdKeyFor } from '@cattail/datastore'
import type { Resource } from '@cattail/model'
import {
  APP_NS,
  calicoResources,
  CLUSTER_A,
  CLUSTER_B,
  CLUSTER_C,
  kubernetesManifests,
  type E2eCluster,
  type E2eNode,
  type E2ePod,
  type KubeManifest,
} from './clusters.js'
import { httpGetScript, type HttpResult, type StatusJson } from './http.js'
import { rccManifest, SECRETS_NS, secretRcc } from './rcc.js'

/** Where the datastores listen inside the control namespace. */
export const ENDPOINTS = {
  apiA: 6443,
  apiB: 6444,
  etcdB: 'http://127.0.0.1:2379',
  etcdC: 'http://127.0.0.1:2479',
} as const

/** The caches: name → sync port, health port (metrics = health + 1). */
export const CACHES = {
  'cache-a0': { port: 5473, health: 9100 },
  'cache-a1': { port: 5475, health: 9102 },
  'cache-b': { port: 5474, health: 9104 },
} as const
/** A cache process name. */
export type CacheName = keyof typeof CACHES

const TESTAPI_SERVE = fileURLToPath(new URL('../../packages/testapi/src/serve.ts', import.meta.url))

/** The running mesh. */
export class E2eMesh {
  /** Kubeconfig paths of the test API servers (inside the work folder). */
  readonly kubeconfig: { readonly A: string; readonly B: string }

  private constructor(
    readonly lab: MeshLab,
    readonly work: string
  ) {
    this.kubeconfig = { A: join(work, 'a.kubeconfig'), B: join(work, 'b.kubeconfig') }
  }

  /** Builds the namespaces (nothing runs yet). Cleans up after itself on failure. */
  static async create(prefix: string): Promise<E2eMesh> {
    const work = await mkdtemp(join(tmpdir(), 'cattail-e2e-'))
    const labNodes = [CLUSTER_A, CLUSTER_B].flatMap((c) =>
      c.nodes.map((n) => ({
        id: n.id,
        nodeIp: n.ip,
        podIp: n.pods[0]!.ip,
        hostIface: n.pods[0]!.hostIface,
      }))
    )
    let lab: MeshLab | undefined
    try {
      lab = await MeshLab.create(prefix, labNodes)
      return new E2eMesh(lab, work)
    } catch (err) {
      await lab?.destroy()
      await rm(work, { recursive: true, force: true })
      throw err
    }
  }

  /** The control namespace (datastores, caches). */
  get ctl(): string {
    return this.lab.net.controlNs
  }

  /** Namespace of a node. */
  nodeNs(n: E2eNode): string {
    return this.lab.net.nodeNs(n.id)
  }

  /** Namespace of a pod (each node's first pod is the lab's default pod). */
  podNs(p: E2ePod): string {
    return `${this.lab.net.prefix}-${p.id}`
  }

  /** Starts the datastores and fills them. */
  async startDatastores(): Promise<void> {
    const api = (name: string, port: number, out: string): Promise<string> => {
      this.lab.start(name, this.ctl, [
        process.execPath,
        '--conditions=source',
        '--import',
        'tsx',
        TESTAPI_SERVE,
        '--port',
        String(port),
        '--kubeconfig-out',
        out,
        '--bookmark-interval-ms',
        '500',
      ])
      return this.lab.waitForLog(name, 'testapi listening', 30_000)
    }
    await Promise.all([
      api('testapi-a', ENDPOINTS.apiA, this.kubeconfig.A),
      api('testapi-b', ENDPOINTS.apiB, this.kubeconfig.B),
      this.startEtcd('b'),
      this.startEtcd('c'),
    ])
    await this.apply('A', [
      ...kubernetesManifests(CLUSTER_A),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SECRETS_NS } },
      this.secretManifest('cluster-b-access', {
        datastoreType: 'etcdv3',
        etcdEndpoints: ENDPOINTS.etcdB,
        kubeconfig: await this.readKubeconfig('B'),
      }),
      rccManifest(secretRcc('cluster-b', 'cluster-b-access', 'Enabled')),
      rccManifest(etcdRcc('cluster-c', ENDPOINTS.etcdC, 'Enabled')),
    ])
    await this.apply('B', [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: APP_NS } }])
    await this.etcdPut(ENDPOINTS.etcdB, [
      ...calicoResources(CLUSTER_B),
      {
        kind: 'Secret',
        metadata: { name: 'cluster-a-access', namespace: SECRETS_NS },
        spec: {
          data: { datastoreType: 'kubernetes', kubeconfig: await this.readKubeconfig('A') },
        },
      },
      secretRcc('cluster-a', 'cluster-a-access', 'Enabled'),
    ])
    await this.etcdPut(ENDPOINTS.etcdC, calicoResources(CLUSTER_C))
  }

  /** (Re)starts cluster B's or C's etcd on its data folder. */
  startEtcd(which: 'b' | 'c'): Promise<void> {
    const url = which === 'b' ? ENDPOINTS.etcdB : ENDPOINTS.etcdC
    return this.lab.startEtcd(`etcd-${which}`, url, join(this.work, `etcd-${which}`))
  }

  /** Starts one cache process. */
  startCache(name: CacheName): void {
    const c = CACHES[name]
    const datastore =
      name === 'cache-b'
        ? ['--datastore-type', 'etcdv3', '--etcd-endpoints', ENDPOINTS.etcdB]
        : ['--datastore-type', 'kubernetes', '--kubeconfig', this.kubeconfig.A]
    this.lab.startCattail(name, this.ctl, [
      'cache',
      ...datastore,
      '--secrets-namespace',
      SECRETS_NS,
      '--host',
      LAB_CONTROL_IP,
      '--port',
      String(c.port),
      '--health-host',
      '127.0.0.1',
      '--health-port',
      String(c.health),
      '--metrics-host',
      '127.0.0.1',
      '--metrics-port',
      String(c.health + 1),
      '--shutdown-timeout-ms',
      '500',
      '--log-level',
      'info',
    ])
  }

  /** The sync URL of one cache. */
  cacheUrl(name: CacheName): string {
    return `ws://${LAB_CONTROL_IP}:${CACHES[name].port}`
  }

  /** Starts cluster A's federation controller (reads A and, through its RCCs, B's API server). */
  startFederation(): void {
    this.lab.startCattail('federation-a', this.ctl, [
      'federation',
      '--kubeconfig',
      this.kubeconfig.A,
      '--secrets-namespace',
      SECRETS_NS,
      '--health-host',
      '127.0.0.1',
      '--health-port',
      '9106',
      '--metrics-host',
      '127.0.0.1',
      '--metrics-port',
      '9107',
      '--log-level',
      'info',
    ])
  }

  /** The cache URLs agents of `cluster` use. */
  cacheUrls(cluster: E2eCluster): string {
    const names: CacheName[] = cluster === CLUSTER_A ? ['cache-a0', 'cache-a1'] : ['cache-b']
    return names.map((n) => this.cacheUrl(n)).join(',')
  }

  /** Starts the agent of `node` (in its node namespace). */
  startAgent(cluster: E2eCluster, node: E2eNode): void {
    this.lab.startCattail(`agent-${node.id}`, this.nodeNs(node), [
      'agent',
      '--node-name',
      node.name,
      '--cache-addresses',
      this.cacheUrls(cluster),
      '--log-level',
      'info',
      '--metrics-host',
      '127.0.0.1',
    ])
  }

  /** Starts both caches of A, B's cache and every agent. */
  startCattail(): void {
    for (const name of Object.keys(CACHES) as CacheName[]) this.startCache(name)
    for (const c of [CLUSTER_A, CLUSTER_B]) for (const n of c.nodes) this.startAgent(c, n)
  }

  /** Runs real kubectl against cluster A's or B's test API server (from the control namespace). */
  kubectl(cluster: 'A' | 'B', ...args: string[]): Promise<string> {
    return this.lab.net.exec(this.ctl, 'kubectl', '--kubeconfig', this.kubeconfig[cluster], ...args)
  }

  /** `kubectl apply` of a list of manifests. */
  async apply(cluster: 'A' | 'B', items: readonly KubeManifest[]): Promise<string> {
    const file = join(this.work, `apply-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`)
    // one YAML document per object: kubectl validates a `List` wrapper as a type of its own
    await writeFile(file, items.map((i) => stringify(i)).join('---\n'))
    try {
      return await this.kubectl(cluster, 'apply', '-f', file)
    } finally {
      await rm(file, { force: true })
    }
  }

  /** Writes Calico resources into an etcd (Calico's layout, with etcdctl). */
  async etcdPut(url: string, resources: readonly Resource[]): Promise<void> {
    await this.lab.etcdPut(url, resources)
  }

  /** Deletes a resource's key from an etcd. */
  async etcdDel(url: string, r: Resource): Promise<void> {
    await this.lab.net.exec(this.ctl, 'etcdctl', '--endpoints', url, 'del', etcdKeyFor(r))
  }

  /** A Secret manifest (data base64-encoded, as the API stores it). */
  secretManifest(name: string, data: Record<string, string>): KubeManifest {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name, namespace: SECRETS_NS },
      data: Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])
      ),
    }
  }

  /** The kubeconfig of a test API server (written when it started). */
  readKubeconfig(cluster: 'A' | 'B'): Promise<string> {
    return readFile(this.kubeconfig[cluster], 'utf8')
  }

  /**
   * `cattail status -o json` against one cache (exit code 1 when something is not in sync is
   * part of the answer, not an error).
   */
  async status(cache: CacheName): Promise<StatusJson> {
    const argv = [
      ...cattailArgv(),
      'status',
      '--cache',
      this.cacheUrl(cache),
      '--status-url',
      `http://127.0.0.1:${CACHES[cache].health}/status`,
      '--timeout-ms',
      '5000',
      '-o',
      'json',
    ]
    const out = await new Promise<string>((resolve) =>
      execFile('ip', ['netns', 'exec', this.ctl, ...argv], (err, stdout, stderr) =>
        resolve(stdout !== '' ? stdout : `{"error":${JSON.stringify(err?.message ?? stderr)}}`)
      )
    )
    try {
      return JSON.parse(out) as StatusJson
    } catch {
      return { error: out, remotes: [] }
    }
  }

  /** A remote's state as `cattail status` reports it at `cache` (undefined: not listed). */
  async remoteState(cache: CacheName, remote: string): Promise<string | undefined> {
    return (await this.status(cache)).remotes?.find((r) => r.name === remote)?.state
  }

  /** GET a path of a cache's health or metrics server (from the control namespace). */
  cacheHttp(cache: CacheName, what: 'health' | 'metrics', path: string): Promise<HttpResult> {
    const port = CACHES[cache].health + (what === 'metrics' ? 1 : 0)
    return this.#get(this.ctl, `http://127.0.0.1:${port}${path}`)
  }

  /** GET a path of an agent's health (9099) or metrics (9092) server inside its node namespace. */
  agentHttp(node: E2eNode, what: 'health' | 'metrics', path: string): Promise<HttpResult> {
    const port = what === 'health' ? 9099 : 9092
    return this.#get(this.nodeNs(node), `http://127.0.0.1:${port}${path}`)
  }

  async #get(ns: string, url: string): Promise<HttpResult> {
    const out = await this.lab.net.exec(ns, process.execPath, '-e', httpGetScript(url))
    return JSON.parse(out) as HttpResult
  }

  /** Waits until a route to `cidr` on `node` satisfies `test`; returns the `ip route` line. */
  async waitRoute(
    node: E2eNode,
    cidr: string,
    test: (line: string) => boolean,
    timeoutMs = 30_000
  ): Promise<string> {
    return waitFor(
      async () => {
        const r = await this.lab.net.exec(this.nodeNs(node), 'ip', 'route', 'show', cidr)
        return test(r) ? r : undefined
      },
      { timeoutMs, intervalMs: 50, what: `route ${cidr} on ${node.id}` }
    )
  }

  /**
   * A TCP round trip: a server in `to`'s pod echoes; the client in `from`'s pod sends `hi` and
   * returns the reply (`echo hi from <source address>`), or `timeout`/the error text.
   */
  async tcpRoundTrip(from: E2ePod, to: E2ePod, port: number, timeoutMs = 5000): Promise<string> {
    const name = await this.startEchoServer(to, port)
    try {
      return await this.tcpConnect(from, to.ip, port, timeoutMs)
    } finally {
      await this.lab.stop(name)
    }
  }

  /** A pseudo pod for servers in the control namespace (the "outside" of every cluster). */
  get ctlPod(): E2ePod {
    return {
      id: 'ctl',
      name: 'outside',
      namespace: '',
      ip: LAB_CONTROL_IP,
      labels: {},
      hostIface: '',
    }
  }

  /** Starts a TCP echo server in `pod` on `port` (until stopped); returns its process name. */
  async startEchoServer(pod: E2ePod, port: number): Promise<string> {
    const name = `tcp-${pod.id}-${port}`
    this.lab.start(name, pod.id === 'ctl' ? this.ctl : this.podNs(pod), [
      process.execPath,
      '-e',
      `require('net').createServer(s=>{s.on('error',()=>{});s.on('data',d=>{s.end('echo '+d+' from '+s.remoteAddress)})}).listen(${port},'0.0.0.0',()=>console.log('listening'))`,
    ])
    await this.lab.waitForLog(name, 'listening', 10_000)
    return name
  }

  /** Connects from `from`'s pod to `ip:port`, sends `hi`, returns the reply or `timeout`/`error …`. */
  async tcpConnect(from: E2ePod, ip: string, port: number, timeoutMs = 5000): Promise<string> {
    const out = await this.lab.net.exec(
      this.podNs(from),
      process.execPath,
      '-e',
      `const c=require('net').connect(${port},'${ip}',()=>c.write('hi'));c.setTimeout(${timeoutMs},()=>{console.log('timeout');c.destroy()});c.on('error',e=>console.log('error '+e.code));c.on('data',d=>{console.log(String(d));c.end()})`
    )
    return out.trim()
  }

  /** The selector ipset on `node` that holds `ip` and not `notIp` (undefined when none does). */
  async findIpset(node: E2eNode, ip: string, notIp: string): Promise<string | undefined> {
    const ns = this.nodeNs(node)
    const names = (await this.lab.net.exec(ns, 'ipset', 'list', '-n')).split('\n')
    const has = (set: string, a: string): Promise<boolean> =>
      this.lab.net.exec(ns, 'ipset', 'test', set, a).then(
        () => true,
        () => false
      )
    for (const set of names.filter((n) => n.startsWith('cali40s:'))) {
      if ((await has(set, ip)) && !(await has(set, notIp))) return set
    }
    return undefined
  }

  /** Kills everything and removes the namespaces and the work folder. Never throws. */
  async destroy(): Promise<void> {
    await this.lab.destroy().catch(() => undefined)
    await rm(this.work, { recursive: true, force: true }).catch(() => undefined)
  }
}

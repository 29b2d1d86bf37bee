import { strict as assert } from 'node:assert'
import { writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ConfigError, createSilentLogger } from '@cattail/common'
import { tempDir } from '@cattail/common/testing'
import { startTestApiServer, type KubeObject, type TestApiServer } from '@cattail/testapi'
import {
  CacheDiscovery,
  CacheDiscoveryError,
  DEFAULT_CACHE_DISCOVERY_CONFIG,
  loadDiscoveryKubeConfig,
  type CacheDiscoveryConfig,
} from './cache-discovery.js'

const SLICES = 'endpointslices.discovery.k8s.io'

/** An EndpointSlice of `service` with `[ip, nodeName, ready]` endpoints on one named port. */
function endpointSlice(
  namespace: string,
  name: string,
  service: string,
  port: number,
  endpoints: readonly (readonly [string, string, boolean?])[],
  portName = 'cattail-cache'
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: endpoints.map(([ip, nodeName, ready]) => ({
      addresses: [ip],
      nodeName,
      conditions: { ready: ready ?? true },
    })),
    ports: [{ name: portName, port, protocol: 'TCP' }],
  }
}

const cfg: CacheDiscoveryConfig = {
  ...DEFAULT_CACHE_DISCOVERY_CONFIG,
  namespace: 'cattail-system',
  service: 'cattail-cache',
  portName: 'cattail-cache',
  nodeName: 'me',
  scheme: 'ws',
}
const keepOrder = (): number => 0.99

void describe('cache discovery against the test API server', () => {
  let api: TestApiServer
  let dir: Awaited<ReturnType<typeof tempDir>>
  let kubeconfig: string
  before(async () => {
    api = await startTestApiServer()
    dir = await tempDir('ct-agent-disc-')
    kubeconfig = await api.writeKubeconfig(dir.path)
  })
  after(async () => {
    await api.stop()
    await dir.remove()
  })

  void it('lists the Service slices: ready only, same node first, other services ignored', async () => {
    api.put(
      SLICES,
      endpointSlice('cattail-system', 'cattail-cache-a', 'cattail-cache', 5473, [
        ['10.0.0.1', 'n1'],
        ['10.0.0.2', 'me'],
        ['10.0.0.3', 'n3', false],
      ])
    )
    api.put(
      SLICES,
      endpointSlice('cattail-system', 'cattail-cache-b', 'cattail-cache', 5473, [
        ['10.0.0.4', 'n4'],
      ])
    )
    api.put(SLICES, endpointSlice('cattail-system', 'other-x', 'other', 1, [['10.9.9.9', 'me']]))
    api.put(
      SLICES,
      endpointSlice('elsewhere', 'cattail-cache-z', 'cattail-cache', 1, [['10.8.8.8', 'me']])
    )
    const d = new CacheDiscovery(
      cfg,
      loadDiscoveryKubeConfig(kubeconfig),
      createSilentLogger(),
      keepOrder
    )
    assert.deepEqual(await d.addresses(), [
      'ws://10.0.0.2:5473',
      'ws://10.0.0.1:5473',
      'ws://10.0.0.4:5473',
    ])
    const wss = new CacheDiscovery(
      { ...cfg, scheme: 'wss' },
      loadDiscoveryKubeConfig(kubeconfig),
      createSilentLogger(),
      keepOrder
    )
    assert.equal((await wss.addresses())[0], 'wss://10.0.0.2:5473')
    api.remove(SLICES, 'cattail-cache-b', 'cattail-system')
    api.put(
      SLICES,
      endpointSlice('cattail-system', 'cattail-cache-a', 'cattail-cache', 5473, [
        ['10.0.0.1', 'n1', false],
      ])
    )
    assert.deepEqual(await d.addresses(), [], 'no ready cache left')
  })

  void it('API errors are CacheDiscoveryErrors with the status; the next call works again', async () => {
    const badToken = join(dir.path, 'bad-token.yaml')
    await writeFile(badToken, api.kubeconfig({ token: 'wrong' }))
    const bad = new CacheDiscovery(cfg, loadDiscoveryKubeConfig(badToken), createSilentLogger())
    await assert.rejects(bad.addresses(), (err: unknown) => {
      assert.ok(err instanceof CacheDiscoveryError)
      assert.equal(err.code, 'ERR_CACHE_DISCOVERY')
      assert.match(err.message, /cattail-system\/cattail-cache.*HTTP 401/)
      return true
    })
    const d = new CacheDiscovery(cfg, loadDiscoveryKubeConfig(kubeconfig), createSilentLogger())
    await api.stop()
    try {
      await assert.rejects(d.addresses(), CacheDiscoveryError)
    } finally {
      await api.restart()
    }
    assert.ok(Array.isArray(await d.addresses()), 'retried after the server came back')
  })

  void it('a server that never answers fails after requestTimeoutMs, and the signal cancels', async () => {
    const sockets = new Set<Socket>()
    const silent = createServer((s) => void sockets.add(s))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const file = join(dir.path, 'silent.yaml')
      const port = (silent.address() as AddressInfo).port
      await writeFile(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{name: c, cluster: {server: "http://127.0.0.1:' +
            String(port) +
            '", insecure-skip-tls-verify: true}}]',
          'users: [{name: u, user: {token: t}}]',
          'contexts: [{name: x, context: {cluster: c, user: u}}]',
          'current-context: x',
        ].join('\n')
      )
      const kc = loadDiscoveryKubeConfig(file)
      const d = new CacheDiscovery({ ...cfg, requestTimeoutMs: 200 }, kc, createSilentLogger())
      await assert.rejects(d.addresses(), /no answer within 200 ms/)
      const slow = new CacheDiscovery(cfg, kc, createSilentLogger())
      const abort = new AbortController()
      const p = slow.addresses(abort.signal)
      abort.abort()
      await assert.rejects(p, CacheDiscoveryError)
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })

  void it('a bad kubeconfig is a ConfigError naming the problem', async () => {
    const cases: [string, string | undefined, RegExp][] = [
      ['missing', join(dir.path, 'nope.yaml'), /--kubeconfig .*nope\.yaml: cannot load/],
      ['garbage', 'garbage.yaml', /cannot load|no current context/],
      ['no context', 'empty.yaml', /no current context/],
      ['plain http', 'http.yaml', /insecure-skip-tls-verify/],
      ['in-cluster outside a cluster', undefined, /KUBERNETES_SERVICE_HOST/],
    ]
    await writeFile(join(dir.path, 'garbage.yaml'), '{[: not yaml')
    await writeFile(join(dir.path, 'empty.yaml'), 'apiVersion: v1\nkind: Config\n')
    await writeFile(
      join(dir.path, 'http.yaml'),
      'clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n'
    )
    for (const [name, file, want] of cases) {
      const path = file === undefined || file.startsWith('/') ? file : join(dir.path, file)
      assert.throws(
        () => loadDiscoveryKubeConfig(path, {}),
        (err: unknown) => err instanceof ConfigError && want.test(err.message),
        name
      )
    }
  })
})

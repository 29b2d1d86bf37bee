/**
 * `cattail status` as a process against a real cache daemon (kubernetes datastore on a test API
 * server) meshing one good remote (cluster-b, a second test API server) and one failing remote
 * (cluster-c, whose access Secret is missing), with one agent-like client connected.
 */
import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { type TempDir, tempDir, waitFor } from '@cattail/common/testing'
import { CacheDaemon, DEFAULT_CACHE_CONFIG } from '@cattail/cache'
import { DEFAULT_SYNC_CLIENT_CONFIG, SyncClient } from '@cattail/syncproto'
import { type TestApiServer, startTestApiServer } from '@cattail/testapi'
import { cattailArgv } from './lab/index.js'
import type { StatusDocument } from './status-report.js'

const b64 = (s: string): string => Buffer.from(s).toString('base64')

const cattail = (args: readonly string[]): Promise<{ code: number; stdout: string }> =>
  new Promise((resolve) => {
    const [node = process.execPath, ...rest] = cattailArgv()
    execFile(node, [...rest, ...args], { timeout: 60_000 }, (err, stdout) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout })
    })
  })

void describe('cattail status (a cache with one good and one failing remote)', () => {
  let local: TestApiServer
  let remote: TestApiServer
  let dir: TempDir
  let cache: CacheDaemon
  let agent: SyncClient

  before(async () => {
    local = await startTestApiServer({ bookmarkIntervalMs: 200 })
    remote = await startTestApiServer({ bookmarkIntervalMs: 200 })
    dir = await tempDir('cattail-status-')
    const pod = (name: string, node: string, ip: string): object => ({
      metadata: { name, namespace: 'default' },
      spec: { nodeName: node, containers: [{ name: 'c' }] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
    })
    local.put('pods', pod('web', 'n1', '198.19.0.5') as never)
    remote.put('pods', pod('db', 'm1', '198.19.1.5') as never)
    remote.put('pods', pod('db2', 'm1', '198.19.1.6') as never)
    remote.put('nodes', { metadata: { name: 'm1' } })
    for (const name of ['cluster-b', 'cluster-c'])
      local.put('remoteclusterconfigurations.crd.projectcalico.org', {
        metadata: { name },
        spec: {
          clusterAccessSecret: { kind: 'Secret', name, namespace: 'cattail-system' },
          syncOptions: { overlayRoutingMode: 'Enabled' },
        },
      })
    local.put('secrets', {
      metadata: { name: 'cluster-b', namespace: 'cattail-system' },
      data: { datastoreType: b64('kubernetes'), kubeconfig: b64(remote.kubeconfig()) },
    })
    const kubeconfig = join(dir.path, 'local.kubeconfig')
    await writeFile(kubeconfig, local.kubeconfig())
    cache = new CacheDaemon(
      {
        ...DEFAULT_CACHE_CONFIG,
        datastore: { type: 'kubernetes', kubeconfig },
        remotes: {
          ...DEFAULT_CACHE_CONFIG.remotes,
          secretsNamespace: 'cattail-system',
          inSyncTimeoutMs: 2000,
        },
        server: { ...DEFAULT_CACHE_CONFIG.server, host: '127.0.0.1', port: 0 },
        health: { enabled: true, host: '127.0.0.1', port: 0 },
        metrics: { enabled: false, host: '127.0.0.1', port: 0 },
      },
      createSilentLogger()
    )
    await cache.start()
    await waitFor(() => cache.cache.status === 'in-sync', {
      timeoutMs: 20_000,
      what: 'cache in sync',
    })
    agent = new SyncClient(
      {
        ...DEFAULT_SYNC_CLIENT_CONFIG,
        addresses: [`ws://127.0.0.1:${cache.server.port}`],
        nodeName: 'node-a',
      },
      { onUpdates: () => undefined, onStatus: () => undefined },
      createSilentLogger()
    )
    await agent.start()
    await waitFor(() => [...cache.server.connections].some((c) => c.nodeName === 'node-a'), {
      timeoutMs: 10_000,
      what: 'agent connected',
    })
  })
  after(async () => {
    await agent.stop()
    await cache.stop()
    await local.stop()
    await remote.stop()
    await dir.remove()
  })

  const args = (): string[] => [
    'status',
    '--cache',
    `ws://127.0.0.1:${cache.server.port}`,
    '--status-url',
    `http://127.0.0.1:${cache.healthPort}/status`,
  ]

  void it('prints each remote with state, time in state, last error and counts, the agents, and exits 1', async () => {
    const r = await cattail(args())
    process.stdout.write(`${r.stdout}\n`) // the report quotes this output
    assert.equal(r.code, 1)
    assert.match(r.stdout, /Cache: +in-sync/)
    assert.match(r.stdout, /Remote clusters: +1\/2 in sync/)
    assert.match(r.stdout, /✔ cluster-b +InSync +for \d+s +endpoints=2 nodes=1 pools=0 blocks=0/)
    assert.match(r.stdout, /✖ cluster-c +ConfigIncomplete +for \d+s +endpoints=0/)
    assert.match(r.stdout, /last error: .*cattail-system\/cluster-c.*not found/)
    assert.match(r.stdout, /Agents connected: 1\n +node-a +127\.0\.0\.1 +streaming/)
    assert.match(r.stdout, /Status: NOT IN SYNC/)
  })

  void it('-o json carries the same facts', async () => {
    const r = await cattail([...args(), '-o', 'json'])
    assert.equal(r.code, 1)
    const d = JSON.parse(r.stdout) as StatusDocument
    assert.equal(d.healthy, false)
    assert.equal(d.cache.status, 'in-sync')
    assert.deepEqual(
      d.remotes.map((x) => [x.name, x.state, x.counts.endpoints]),
      [
        ['cluster-b', 'InSync', 2],
        ['cluster-c', 'ConfigIncomplete', 0],
      ]
    )
    assert.ok(typeof d.remotes[0]?.secondsInState === 'number')
    assert.deepEqual(
      d.connections?.map((c) => c.node),
      ['node-a']
    )
  })

  void it('exits 0 once every remote is in sync, and reports an unreadable /status without failing', async () => {
    local.remove('remoteclusterconfigurations.crd.projectcalico.org', 'cluster-c')
    await waitFor(() => !cache.cache.remotes.has('cluster-c'), { timeoutMs: 10_000 })
    const r = await cattail([
      'status',
      '--cache',
      `ws://127.0.0.1:${cache.server.port}`,
      '--status-url',
      'http://127.0.0.1:1/status',
    ])
    assert.equal(r.code, 0, r.stdout)
    assert.match(r.stdout, /cache \/status not read: http:\/\/127\.0\.0\.1:1\/status/)
    assert.match(r.stdout, /Status: OK/)
  })
})

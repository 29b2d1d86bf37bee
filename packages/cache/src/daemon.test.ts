import { strict as assert } from 'node:assert'
import { after, describe, it } from 'node:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createSilentLogger } from '@cattail/common'
import { tempDir, waitFor } from '@cattail/common/testing'
import { DEFAULT_CACHE_CONFIG, type CacheConfig } from './config.js'
import { CacheDaemon, runCacheDaemon, type ProcessHooks } from './daemon.js'
import { FakeSyncer, TestClient, makeRemoteStatus, makeWep } from './testing/index.js'

const log = createSilentLogger()

function testConfig(over: Partial<CacheConfig> = {}): CacheConfig {
  return {
    ...DEFAULT_CACHE_CONFIG,
    server: { ...DEFAULT_CACHE_CONFIG.server, host: '127.0.0.1', port: 0, shutdownTimeoutMs: 400 },
    health: { enabled: true, host: '127.0.0.1', port: 0 },
    metrics: { enabled: true, host: '127.0.0.1', port: 0 },
    healthIntervalMs: 100,
    ...over,
  }
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`)
  return { status: res.status, body: await res.text() }
}

void describe('cache daemon', () => {
  const cleanups: Array<() => Promise<void>> = []
  after(async () => {
    for (const c of cleanups) await c()
  })

  void it('readiness flips with the sync status; liveness stays up; metrics expose the gauges', async () => {
    let syncer: FakeSyncer | undefined
    const d = new CacheDaemon(testConfig(), log, {
      syncerFactory: (_cfg, callbacks) => (syncer = new FakeSyncer(callbacks)),
    })
    cleanups.push(() => d.stop())
    await d.start()
    assert.ok(syncer?.started)
    assert.equal((await get(d.healthPort, '/readiness')).status, 503)
    const live = await get(d.healthPort, '/liveness')
    assert.equal(live.status, 200)
    assert.match(live.body, /snapcache\tok/)

    syncer.send([
      { key: 'WorkloadEndpoint/default/a', value: makeWep('a') },
      {
        key: 'RemoteClusterStatus/cluster-b',
        value: makeRemoteStatus('cluster-b', 'ResyncInProgress'),
      },
    ])
    syncer.setStatus('in-sync')
    await waitFor(async () => (await get(d.healthPort, '/readiness')).status === 200)
    assert.match((await get(d.healthPort, '/readiness')).body, /cluster-b=ResyncInProgress/)

    const client = await TestClient.connect({ url: `ws://127.0.0.1:${d.server.port}/` })
    cleanups.push(() => client.close())
    await waitFor(() => client.status === 'in-sync' && client.kvs.size === 2)
    assert.equal(client.remotes['cluster-b']?.status, 'ResyncInProgress')

    const m = await get(d.metricsPort, '/metrics')
    assert.equal(m.status, 200)
    for (const name of [
      'cattail_cache_connections_active 1',
      'cattail_cache_connections_accepted_total 1',
      'cattail_cache_connections_shed_total 0',
      'cattail_cache_connections_dropped_lag_total 0',
      'cattail_cache_snapshots_built_total 1',
      'cattail_cache_snapshots_reused_total 1', // the snapshot pre-built at in-sync
      'cattail_cache_snapshot_raw_bytes',
      'cattail_cache_snapshot_compressed_bytes',
      'cattail_cache_snapshot_build_seconds_count 1',
      'cattail_cache_client_lag_seconds',
      'cattail_cache_ping_latency_seconds',
      'cattail_cache_updates_total 2',
      'cattail_cache_updates_skipped_total 0',
      'cattail_cache_breadcrumb_seq',
      'cattail_cache_size 2',
      'remote_cluster_connection_status{remote_cluster_name="cluster-b"} 3',
      'process_resident_memory_bytes',
    ]) {
      assert.ok(m.body.includes(name), `metrics lack ${name}`)
    }

    syncer.setStatus('resync-in-progress')
    await waitFor(async () => (await get(d.healthPort, '/readiness')).status === 503)
    syncer.send([{ key: 'RemoteClusterStatus/cluster-b', value: undefined }])
    await waitFor(
      async () =>
        !(await get(d.metricsPort, '/metrics')).body.includes('remote_cluster_name="cluster-b"')
    )
  })

  void it('runCacheDaemon drains on SIGTERM, then exits 0; an unhandled rejection exits 1', async () => {
    const handlers = new Map<string, (arg?: unknown) => void>()
    const exits: number[] = []
    const proc: ProcessHooks = {
      exit: (code) => exits.push(code),
      on: (e, fn) => handlers.set(e, fn),
    }
    let syncer: FakeSyncer | undefined
    const d = await runCacheDaemon(
      testConfig({
        health: { enabled: false, host: '', port: 0 },
        metrics: { enabled: false, host: '', port: 0 },
      }),
      {
        log,
        process: proc,
        syncerFactory: (_cfg, cb) => (syncer = new FakeSyncer(cb)),
      }
    )
    cleanups.push(() => d.stop())
    syncer?.setStatus('in-sync')
    const clients = await Promise.all(
      [1, 2, 3].map(() => TestClient.connect({ url: `ws://127.0.0.1:${d.server.port}/` }))
    )
    await waitFor(() => clients.every((c) => c.status === 'in-sync'))
    handlers.get('SIGTERM')?.()
    await waitFor(() => exits.length === 1, { what: 'exit after drain' })
    assert.deepEqual(exits, [0])
    await waitFor(() => clients.every((c) => c.closed))
    assert.deepEqual(
      clients.map((c) => c.goAway?.reason),
      ['shutdown', 'shutdown', 'shutdown']
    )
    assert.equal(syncer?.stopped, true)
    handlers.get('unhandledRejection')?.(new Error('boom'))
    assert.deepEqual(exits, [0, 1])
  })

  void it('starts on a file datastore folder and serves its objects', async (t) => {
    const dir = await tempDir('cattail-cache-file-')
    cleanups.push(() => dir.remove())
    const wep = makeWep('filewep')
    await writeFile(
      join(dir.path, 'wep.yaml'),
      `apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata:\n  name: ${wep.metadata.name}\n  namespace: default\n  labels:\n    app: filewep\nspec:\n  orchestrator: k8s\n  node: node1\n  endpoint: eth0\n  ipNetworks: ['198.19.0.9/32']\n  profiles: ['kns.default']\n`
    )
    const d = new CacheDaemon(testConfig({ datastore: { type: 'file', dir: dir.path } }), log)
    try {
      await d.start()
    } catch (err) {
      if (err instanceof Error && /not implemented/.test(err.message)) {
        t.skip('the file driver is still a placeholder in @cattail/datastore')
        return
      }
      throw err
    }
    cleanups.push(() => d.stop())
    const client = await TestClient.connect({ url: `ws://127.0.0.1:${d.server.port}/` })
    cleanups.push(() => client.close())
    await waitFor(
      () => client.status === 'in-sync' && client.kvs.has('WorkloadEndpoint/default/filewep'),
      {
        timeoutMs: 10_000,
      }
    )
  })
})

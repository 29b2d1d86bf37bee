/**
 * SyncerHarness for the etcdv3 driver over a real etcd (`startTestEtcd`), reached through a TCP
 * proxy so that `compact()` can cut the driver off, write and compact behind its back, and let
 * it reconnect. `stopServer()`/`startServer()` kill and restart the real etcd process.
 */
import { startTestEtcd, waitFor, type TestEtcd } from '@cattail/common/testing'
import type { Resource, ResourceKind } from '@cattail/model'
import type { Etcd3 } from 'etcd3'
import { createEtcdClient } from '../etcd/client.js'
import {
  EtcdSyncer,
  DEFAULT_ETCD_SYNCER_TUNING,
  type EtcdSyncerTuning,
} from '../etcd/etcd-syncer.js'
import { etcdKeyFor, etcdKeyOf, etcdValueFor } from '../etcd/layout.js'
import type { DatastoreConfig, SyncerCallbacks, SyncerOptions } from '../syncer.js'
import type { SyncerHarness } from './contract.js'
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js'

/** Backoff and timeouts small enough for tests. */
export const TEST_ETCD_SYNCER_TUNING: EtcdSyncerTuning = {
  ...DEFAULT_ETCD_SYNCER_TUNING,
  requestTimeoutMs: 3000,
  keepaliveMs: 2000,
  backoff: { initialMs: 50, maxMs: 500, factor: 2, jitter: 0.2 },
  // Tiny pages so every test crosses page boundaries.
  listPageSize: 2,
}

/** The etcd harness plus direct access to its store. */
export interface EtcdHarness extends SyncerHarness {
  readonly etcd: TestEtcd
  readonly proxy: TcpProxy
  /** A client talking to etcd directly (not through the proxy). */
  readonly client: Etcd3
  /** The DatastoreConfig a syncer uses (through the proxy). */
  readonly config: Extract<DatastoreConfig, { type: 'etcdv3' }>
}

/** Retries an etcd write while the server is coming back. */
async function retry(what: string, fn: () => Promise<unknown>): Promise<void> {
  await waitFor(
    async () => {
      await fn()
      return true
    },
    { timeoutMs: 15_000, intervalMs: 50, what }
  )
}

/** Starts an etcd and a proxy in front of it. */
export async function makeEtcdHarness(
  tuning: EtcdSyncerTuning = TEST_ETCD_SYNCER_TUNING
): Promise<EtcdHarness> {
  const etcd = await startTestEtcd()
  const proxy = await startTcpProxy(etcd.endpoint.replace(/^http:\/\//, ''))
  const client = createEtcdClient({ type: 'etcdv3', endpoints: [etcd.endpoint] })
  const config = { type: 'etcdv3', endpoints: [`http://${proxy.hostPort}`] } as const
  const h: EtcdHarness = {
    etcd,
    proxy,
    client,
    config,
    capabilities: { writeWhileStopped: false },
    createSyncer: (opts: SyncerOptions, callbacks: SyncerCallbacks) =>
      new EtcdSyncer(config, opts, callbacks, tuning),
    put: (r: Resource) =>
      retry(`put ${r.kind}`, () => client.put(etcdKeyFor(r)).value(etcdValueFor(r)).exec()),
    putRaw: (kind: ResourceKind, name: string, ns: string | undefined, raw: unknown) =>
      retry(`put raw ${kind}`, () =>
        client
          .put(etcdKeyOf(kind, name, ns))
          .value(typeof raw === 'string' ? raw : JSON.stringify(raw))
          .exec()
      ),
    remove: (kind: ResourceKind, name: string, ns: string | undefined) =>
      retry(`delete ${kind}`, () =>
        client
          .delete()
          .key(etcdKeyOf(kind, name, ns))
          .exec()
      ),
    stopServer: () => etcd.kill(),
    startServer: () => etcd.restart(),
    compact: async (during) => {
      proxy.cut()
      try {
        await during()
        const put = await client.put('/cattail/test/compact-marker').value('x').exec()
        await client.kv.compact({ revision: put.header.revision, physical: true })
      } finally {
        proxy.resume()
      }
    },
    close: async () => {
      client.close()
      await proxy.close()
      await etcd.stop()
    },
  }
  return h
}

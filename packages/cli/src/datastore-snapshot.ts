/**
 * Reading the mesh straight from the datastores, for CLI tools that should work without a cache
 * (`cattail policy trace --datastore-type …`): the datastore flags of `cattail cache` (same names,
 * same `CATTAIL_CACHE_*` environment variables, same validation), and a one-shot read through the
 * cache's own syncer factory (local datastore plus remote clusters, keys `<cluster>/`-prefixed).
 */
import type { Command } from 'commander'
import { addOptions, type Logger } from '@cattail/common'
import type { KVUpdate, SyncStatus } from '@cattail/model'
import { CACHE_OPTIONS, defaultSyncerFactory, parseConfig } from '@cattail/cache'

/** The `cattail cache` option keys that select and reach the datastores. */
const DATASTORE_KEYS: ReadonlySet<string> = new Set([
  'datastoreType',
  'kubeconfig',
  'etcdEndpoints',
  'etcdUsername',
  'etcdPassword',
  'etcdCa',
  'etcdCert',
  'etcdKey',
  'fileDir',
  'remoteClusters',
  'secretsNamespace',
  'remoteInSyncTimeoutMs',
])

/** Adds the datastore flags of `cattail cache` to `cmd`. */
export function addDatastoreOptions(cmd: Command): Command {
  return addOptions(
    cmd,
    CACHE_OPTIONS.filter((o) => DATASTORE_KEYS.has(o.key)),
    'CATTAIL_CACHE'
  )
}

/** True when the user chose a datastore (flag or environment) instead of a cache. */
export function datastoreChosen(cmd: Command): boolean {
  const src = cmd.getOptionValueSource('datastoreType')
  return src === 'cli' || src === 'env'
}

/** Every KV the datastores hold once in sync (or at the timeout), with the status reached. */
export async function readDatastoreSnapshot(
  raw: Readonly<Record<string, unknown>>,
  timeoutMs: number,
  log: Logger
): Promise<{ status: SyncStatus; kvs: ReadonlyMap<string, KVUpdate> }> {
  const cfg = parseConfig(raw)
  const kvs = new Map<string, KVUpdate>()
  let status: SyncStatus = 'wait-for-ready'
  let resolveInSync: () => void = () => undefined
  const inSync = new Promise<void>((resolve) => (resolveInSync = resolve))
  const syncer = await defaultSyncerFactory(
    cfg,
    {
      onUpdates: (updates) => {
        for (const u of updates) {
          if (u.value === undefined) kvs.delete(u.key)
          else kvs.set(u.key, u)
        }
      },
      onStatus: (s) => {
        status = s
        if (s === 'in-sync') resolveInSync()
      },
      onFailure: (err) => log.warn({ err: err.message }, 'datastore problem'),
    },
    log
  )
  await syncer.start()
  const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())
  await Promise.race([inSync, timer])
  await syncer.stop()
  return { status, kvs }
}

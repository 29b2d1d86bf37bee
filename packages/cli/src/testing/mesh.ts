/**
 * Test helper: a mesh syncer (what the cache runs) over a local cluster's kubeconfig, that says
 * whether it works: in sync, with the named remote InSync (and, optionally, a key seen from both
 * clusters).
 */
import { createSilentLogger } from '@cattail/common'
import { createMeshSyncer } from '@cattail/datastore'
import type { ResourceKind, SyncStatus } from '@cattail/model'

/** A started component: `works()` says whether it does its job now. */
export interface Running {
  works(): boolean | Promise<boolean>
  stop(): Promise<void>
}

/**
 * Starts a mesh syncer over `local` (kubeconfig YAML, access Secrets in cattail-system) asking for
 * `kinds`. It works when it is in sync, `remote` is InSync and, when `keyPart` is given, a key
 * containing it arrived from the local cluster and from `remote`.
 */
export async function startMesh(
  local: string,
  kinds: ReadonlySet<ResourceKind>,
  remote: string,
  keyPart?: string
): Promise<Running> {
  let status: SyncStatus = 'wait-for-ready'
  const keys = new Set<string>()
  const mesh = createMeshSyncer(
    { type: 'kubernetes', kubeconfig: { kind: 'inline', contents: local } },
    {
      kinds,
      log: createSilentLogger(),
      secretsNamespace: 'cattail-system',
      remoteInSyncTimeoutMs: 10_000,
      remoteConnectTimeoutMs: 10_000,
      retryBackoff: { initialMs: 50, maxMs: 500, factor: 2, jitter: 0.2 },
    },
    {
      onUpdates: (us) => {
        for (const u of us) {
          if (u.value === undefined) keys.delete(u.key)
          else keys.add(u.key)
        }
      },
      onStatus: (s) => (status = s),
      onFailure: () => undefined,
    }
  )
  await mesh.start()
  const seen = (fromRemote: boolean): boolean =>
    [...keys].some((k) => k.startsWith(`${remote}/`) === fromRemote && k.includes(keyPart ?? ''))
  return {
    works: () =>
      status === 'in-sync' &&
      mesh.remoteStatuses().get(remote)?.status === 'InSync' &&
      (keyPart === undefined || (seen(true) && seen(false))),
    stop: () => mesh.stop(),
  }
}

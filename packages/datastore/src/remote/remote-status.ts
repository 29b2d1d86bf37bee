/**
 * Remote cluster status as it travels in the stream: one ephemeral `RemoteClusterStatus/<rcc>`
 * KV per remote (value spec `{ status, error? }`), and the gauge value the cache exports as
 * `remote_cluster_connection_status{remote_cluster_name}`. Pure.
 */
import {
  keyToString,
  REMOTE_CLUSTER_STATE_GAUGE,
  type KVUpdate,
  type RemoteClusterState,
  type RemoteClusterStatus,
} from '@cattail/model'

/** Status of one remote cluster, as emitted in `RemoteClusterStatus/<rcc>` (its spec). */
export interface RemoteStatus {
  readonly status: RemoteClusterState
  /** Why the remote is ConnectionFailed or ConfigIncomplete. */
  readonly error?: string
}

/**
 * Value of the gauge `remote_cluster_connection_status` for `state` (Calico's numbering:
 * 0 failed, 1 connecting, 2 in sync, 3 resync in progress, 5 config incomplete).
 */
export function remoteStatusGaugeValue(state: RemoteClusterState): number {
  return REMOTE_CLUSTER_STATE_GAUGE[state]
}

/** Key of the status KV of remote `name`: `RemoteClusterStatus/<name>` (a local key). */
export function remoteStatusKey(name: string): string {
  return keyToString({ kind: 'RemoteClusterStatus', name })
}

/** The status KV for remote `name`; `status === undefined` deletes it. */
export function remoteStatusUpdate(name: string, status: RemoteStatus | undefined): KVUpdate {
  const value: RemoteClusterStatus | undefined =
    status === undefined
      ? undefined
      : {
          kind: 'RemoteClusterStatus',
          metadata: { name },
          spec: {
            status: status.status,
            ...(status.error !== undefined && { error: status.error }),
          },
        }
  return { key: remoteStatusKey(name), value, revision: '' }
}

/** True when `a` and `b` describe the same status (same state and error text). */
export function sameRemoteStatus(
  a: RemoteStatus | undefined,
  b: RemoteStatus | undefined
): boolean {
  return a?.status === b?.status && a?.error === b?.error
}

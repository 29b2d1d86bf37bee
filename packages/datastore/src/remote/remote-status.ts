/**
 * Remote cluster status as it travels in the stream: one ephemeral `RemoteClusterStatus/<rcc>`
 * KV per remote (value spec `{ status, error?, rejected?, lastRejection?, vtepMacConflicts? }`; the
 * extra fields are optional, so older readers keep working), and the gauge value the cache exports as
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
  /** Remote objects refused so far (remote-guard.ts), by reason. Absent when none. */
  readonly rejected?: Readonly<Record<string, number>>
  /** The most recent refusal, as a sentence. */
  readonly lastRejection?: string
  /** This remote's node names whose VTEP MAC collides with another cluster's node. */
  readonly vtepMacConflicts?: readonly string[]
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
            ...(status.rejected !== undefined && { rejected: { ...status.rejected } }),
            ...(status.lastRejection !== undefined && { lastRejection: status.lastRejection }),
            ...(status.vtepMacConflicts !== undefined &&
              status.vtepMacConflicts.length > 0 && {
                vtepMacConflicts: [...status.vtepMacConflicts],
              }),
          },
        }
  return { key: remoteStatusKey(name), value, revision: '' }
}

/** True when `a` and `b` describe the same status (state, error, rejections and conflicts). */
export function sameRemoteStatus(
  a: RemoteStatus | undefined,
  b: RemoteStatus | undefined
): boolean {
  return (
    a?.status === b?.status &&
    a?.error === b?.error &&
    a?.lastRejection === b?.lastRejection &&
    JSON.stringify(a?.rejected ?? {}) === JSON.stringify(b?.rejected ?? {}) &&
    (a?.vtepMacConflicts ?? []).join('\n') === (b?.vtepMacConflicts ?? []).join('\n')
  )
}

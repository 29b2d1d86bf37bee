/**
 * The one interface every datastore driver implements, and the configuration that selects one.
 *
 * A syncer lists, then watches, the kinds it was asked for and reports:
 *   - batches of KVUpdates (key, value or deletion, revision); unchanged values are never
 *     re-emitted, and after a reconnect only the differences are (deletions for what vanished);
 *   - its status: wait-for-ready → resync-in-progress → in-sync (and back to resync-in-progress
 *     while it recovers from a lost connection);
 *   - failures (connection lost, a bad object), after which it keeps going and retries by itself.
 * Consumers never see driver details.
 */
import type { Logger, MeshError, Startable } from '@cattail/common'
import type { KVUpdate, ResourceKind, SyncStatus } from '@cattail/model'
import type { KubeconfigOverrides, KubeconfigSource } from '@cattail/kubeconfig'

/** What a syncer tells its consumer. Callbacks must not throw; they run on the driver's loop. */
export interface SyncerCallbacks {
  /** A batch of changes, in datastore order. */
  onUpdates(updates: readonly KVUpdate[]): void
  /** The overall status changed. */
  onStatus(status: SyncStatus): void
  /** Something went wrong; the syncer keeps running (retrying, or skipping the bad object). */
  onFailure(err: MeshError): void
}

/** A running datastore watcher. */
export interface Syncer extends Startable {
  /** Current status. */
  readonly status: SyncStatus
}

/** TLS material for etcd, as file contents (PEM). */
export interface EtcdTls {
  readonly ca?: string
  readonly cert?: string
  readonly key?: string
}

/** How to reach a Kubernetes API server (defined by the shared kubeconfig loader). */
export type { KubeconfigSource }

/** Connection settings for one datastore. */
export type DatastoreConfig =
  | {
      readonly type: 'kubernetes'
      readonly kubeconfig: KubeconfigSource
      /** Overrides of single kubeconfig values (RCC `k8sAPIEndpoint` …). */
      readonly overrides?: KubeconfigOverrides
    }
  | {
      readonly type: 'etcdv3'
      /** e.g. `['http://127.0.0.1:2379']` */
      readonly endpoints: readonly string[]
      readonly username?: string
      readonly password?: string
      readonly tls?: EtcdTls
    }
  | {
      readonly type: 'file'
      /** Folder of YAML manifests (multi-document files allowed), watched for changes. */
      readonly dir: string
    }

/** What to watch and how to log. */
export interface SyncerOptions {
  /** The kinds to list and watch; nothing else is emitted. */
  readonly kinds: ReadonlySet<ResourceKind>
  /** Restrict Secrets to this namespace (the RCC secret namespace). Undefined = all namespaces. */
  readonly secretsNamespace?: string
  readonly log: Logger
}

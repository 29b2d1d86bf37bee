/**
 * Prometheus metrics of the cache daemon, in one object with its own Registry (never the global
 * one, so tests and several daemons in one process don't collide).
 *
 * Names follow Typha's (`typha_*` → `cattail_cache_*`); the remote-cluster gauge keeps Calico's
 * exact name and numbering so existing dashboards and alerts work.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { REMOTE_CLUSTER_STATE_GAUGE, type RemoteClusterState } from '@cattail/model'

/** Every metric the cache, the server and the daemon update. */
export class CacheMetrics {
  /** The registry all metrics below are registered in. */
  readonly registry = new Registry()

  // Connections.
  readonly connectionsActive: Gauge
  readonly connectionsStreaming: Gauge
  readonly connectionsAccepted: Counter
  readonly connectionsShed: Counter
  readonly connectionsDroppedLag: Counter
  readonly connectionsGraceUsed: Counter
  readonly connectionsResumed: Counter
  readonly connectionsRejected: Counter<'reason'>

  // Snapshots.
  readonly snapshotsBuilt: Counter
  readonly snapshotsReused: Counter
  readonly snapshotRawBytes: Gauge
  readonly snapshotCompressedBytes: Gauge
  readonly snapshotBuildSeconds: Histogram

  // Streaming.
  readonly clientLagSeconds: Histogram
  readonly pingLatencySeconds: Histogram
  readonly kvsPerMessage: Histogram
  readonly bytesSent: Counter

  // Cache.
  readonly updatesReceived: Counter
  readonly updatesSkipped: Counter
  readonly breadcrumbSeq: Gauge
  readonly cacheSize: Gauge
  readonly retainedCrumbs: Gauge
  readonly retainedBytes: Gauge
  readonly remoteClusterStatus: Gauge<'remote_cluster_name'>
  readonly remoteClusterStateSince: Gauge<'remote_cluster_name'>
  /** Remote → when its current state began (ms since the epoch). */
  readonly #remoteSince = new Map<string, number>()

  // Bad input.
  /** Objects a datastore driver rejected (invalid, treated as absent). */
  readonly datastoreRejectedObjects: Counter<'kind' | 'reason'>
  /** Remote objects the mesh layer refused (overlaps, bad VTEP MACs, object limit). */
  readonly remoteRejectedObjects: Counter<'remote_cluster_name' | 'reason'>
  /** Node names present in more than one cluster whose derived VTEP MACs collide. */
  readonly vtepMacConflicts: Gauge

  /** @param defaultMetrics also export Node's process/GC metrics. @default true */
  constructor(defaultMetrics = true) {
    const registers = [this.registry]
    const p = 'cattail_cache_'
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry })
    this.connectionsActive = new Gauge({
      name: `${p}connections_active`,
      help: 'Open client connections, including those still in the handshake.',
      registers,
    })
    this.connectionsStreaming = new Gauge({
      name: `${p}connections_streaming`,
      help: 'Connections that completed the handshake and are streaming.',
      registers,
    })
    this.connectionsAccepted = new Counter({
      name: `${p}connections_accepted_total`,
      help: 'Connections accepted.',
      registers,
    })
    this.connectionsShed = new Counter({
      name: `${p}connections_shed_total`,
      help: 'Connections closed to bring the count under the connection limit.',
      registers,
    })
    this.connectionsDroppedLag = new Counter({
      name: `${p}connections_dropped_lag_total`,
      help: 'Connections closed because the client fell too far behind.',
      registers,
    })
    this.connectionsGraceUsed = new Counter({
      name: `${p}connections_grace_used_total`,
      help: 'Connections that fell behind during their post-snapshot grace period.',
      registers,
    })
    this.connectionsResumed = new Counter({
      name: `${p}connections_resumed_total`,
      help: 'Connections that resumed from a sequence number instead of taking a snapshot.',
      registers,
    })
    this.connectionsRejected = new Counter({
      name: `${p}connections_rejected_total`,
      help: 'Connections refused or closed for a protocol, TLS or timeout reason.',
      labelNames: ['reason'],
      registers,
    })
    this.snapshotsBuilt = new Counter({
      name: `${p}snapshots_built_total`,
      help: 'Compressed snapshots built (one per crumb at most, shared by concurrent joiners).',
      registers,
    })
    this.snapshotsReused = new Counter({
      name: `${p}snapshots_reused_total`,
      help: 'Clients that received an already-built snapshot.',
      registers,
    })
    this.snapshotRawBytes = new Gauge({
      name: `${p}snapshot_raw_bytes`,
      help: 'Size of the latest snapshot before compression, in bytes.',
      registers,
    })
    this.snapshotCompressedBytes = new Gauge({
      name: `${p}snapshot_compressed_bytes`,
      help: 'Size of the latest snapshot after compression, in bytes.',
      registers,
    })
    this.snapshotBuildSeconds = new Histogram({
      name: `${p}snapshot_build_seconds`,
      help: 'Time to build (encode and compress) one snapshot.',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    this.clientLagSeconds = new Histogram({
      name: `${p}client_lag_seconds`,
      help: 'Age of the crumb a client was sent, relative to the newest crumb.',
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 300],
      registers,
    })
    this.pingLatencySeconds = new Histogram({
      name: `${p}ping_latency_seconds`,
      help: 'Ping round-trip time.',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    })
    this.kvsPerMessage = new Histogram({
      name: `${p}kvs_per_message`,
      help: 'KVs per delta frame.',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    })
    this.bytesSent = new Counter({
      name: `${p}bytes_sent_total`,
      help: 'Bytes handed to client sockets (snapshots, deltas, control frames).',
      registers,
    })
    this.updatesReceived = new Counter({
      name: `${p}updates_total`,
      help: 'KV updates received from the syncer.',
      registers,
    })
    this.updatesSkipped = new Counter({
      name: `${p}updates_skipped_total`,
      help: 'KV updates dropped because the value did not change (revision ignored).',
      registers,
    })
    this.breadcrumbSeq = new Gauge({
      name: `${p}breadcrumb_seq`,
      help: 'Sequence number of the newest breadcrumb.',
      registers,
    })
    this.cacheSize = new Gauge({
      name: `${p}size`,
      help: 'KVs in the cache.',
      registers,
    })
    this.retainedCrumbs = new Gauge({
      name: `${p}retained_breadcrumbs`,
      help: 'Breadcrumbs retained for resume.',
      registers,
    })
    this.retainedBytes = new Gauge({
      name: `${p}retained_bytes`,
      help: 'Encoded delta bytes held by the retained breadcrumbs.',
      registers,
    })
    this.remoteClusterStatus = new Gauge({
      name: 'remote_cluster_connection_status',
      help: 'Status of the connection to a remote cluster: 0 failed, 1 connecting, 2 in sync, 3 resync in progress, 5 config incomplete.',
      labelNames: ['remote_cluster_name'],
      registers,
    })
    this.remoteClusterStateSince = new Gauge({
      name: `${p}remote_cluster_state_since_seconds`,
      help: 'When the remote cluster entered its current connection state (unix seconds); time() minus this is the time in state, e.g. the in-sync age.',
      labelNames: ['remote_cluster_name'],
      registers,
    })
    this.datastoreRejectedObjects = new Counter({
      name: 'cattail_datastore_rejected_objects_total',
      help: 'Stored objects a datastore driver rejected and treated as absent (reason: invalid, or exception when the conversion threw).',
      labelNames: ['kind', 'reason'],
      registers,
    })
    this.remoteRejectedObjects = new Counter({
      name: 'cattail_remote_rejected_objects_total',
      help: 'Objects from a remote cluster refused by the mesh layer (overlaps with the local cluster, bad VTEP MACs, the per-remote object limit).',
      labelNames: ['remote_cluster_name', 'reason'],
      registers,
    })
    this.vtepMacConflicts = new Gauge({
      name: 'cattail_remote_vtep_mac_conflicts',
      help: 'Remote nodes (summed over remotes, from their status) whose VXLAN tunnel MAC collides with a same-named node of another cluster; publish vxlanTunnelMACAddr on one of them.',
      registers,
    })
  }

  /**
   * Sets the remote-cluster gauge for `name`, or removes its series when `state` is undefined.
   * Called on each change of state, so it also stamps when the state began.
   */
  setRemoteClusterState(
    name: string,
    state: RemoteClusterState | undefined,
    nowMs = Date.now()
  ): void {
    const labels = { remote_cluster_name: name }
    if (state === undefined) {
      this.remoteClusterStatus.remove(labels)
      this.remoteClusterStateSince.remove(labels)
      this.#remoteSince.delete(name)
      return
    }
    this.remoteClusterStatus.set(labels, REMOTE_CLUSTER_STATE_GAUGE[state])
    this.remoteClusterStateSince.set(labels, nowMs / 1000)
    this.#remoteSince.set(name, nowMs)
  }

  /** When remote `name` entered its current state (ms since the epoch), if known. */
  remoteStateSince(name: string): number | undefined {
    return this.#remoteSince.get(name)
  }

  /** The Prometheus text exposition. */
  async exposition(): Promise<string> {
    return await this.registry.metrics()
  }
}

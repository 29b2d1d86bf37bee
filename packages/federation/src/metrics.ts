/**
 * Prometheus metrics of the federation controller, in their own Registry (never the global one,
 * so tests and several controllers in one process don't collide). The remote-cluster gauge keeps
 * Calico's name and numbering; a remote that contributes no services (etcdv3 only) reports 5
 * (config incomplete) and says why in its status.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Every metric the controller updates. */
export class FederationMetrics {
  /** The registry all metrics below are registered in. */
  readonly registry = new Registry()
  readonly federatedServices: Gauge
  readonly backingServices: Gauge
  readonly addressesWritten: Gauge
  readonly writes: Counter<'resource' | 'op'>
  readonly writeSeconds: Histogram<'resource'>
  readonly errors: Counter<'kind'>
  readonly isLeader: Gauge
  readonly remoteClusterStatus: Gauge<'remote_cluster_name'>

  /** @param defaultMetrics also export Node's process/GC metrics. @default true */
  constructor(defaultMetrics = true) {
    const registers = [this.registry]
    const p = 'cattail_federation_'
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry })
    this.federatedServices = new Gauge({
      name: `${p}federated_services`,
      help: 'Federated Services (annotated, no spec.selector) in the local cluster.',
      registers,
    })
    this.backingServices = new Gauge({
      name: `${p}backing_services`,
      help: 'Backing Services (local and remote) selected by some federated Service.',
      registers,
    })
    this.addressesWritten = new Gauge({
      name: `${p}addresses_written`,
      help: 'Addresses in the EndpointSlices of every federated Service, as last computed.',
      registers,
    })
    this.writes = new Counter({
      name: `${p}writes_total`,
      help: 'Writes to the local cluster by resource (endpoints, endpointslices, events) and op.',
      labelNames: ['resource', 'op'],
      registers,
    })
    this.writeSeconds = new Histogram({
      name: `${p}write_duration_seconds`,
      help: 'Latency of one write to the local API server.',
      labelNames: ['resource'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    })
    this.errors = new Counter({
      name: `${p}errors_total`,
      help: 'Errors by kind: write, bad-object, bad-selector, not-federated, not-owned, lease.',
      labelNames: ['kind'],
      registers,
    })
    this.isLeader = new Gauge({
      name: `${p}is_leader`,
      help: '1 while this replica holds the Lease (only the leader writes).',
      registers,
    })
    this.remoteClusterStatus = new Gauge({
      name: 'remote_cluster_connection_status',
      help: 'Remote cluster status: 0 failed, 1 connecting, 2 in sync, 3 resync in progress, 5 config incomplete.',
      labelNames: ['remote_cluster_name'],
      registers,
    })
  }
}

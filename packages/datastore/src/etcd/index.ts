/** The etcdv3 driver and Calico's etcd layout helpers. */
export * from './etcd-syncer.js'
export * from './layout.js'
export { createEtcdClient, DEFAULT_ETCD_CLIENT_TUNING, type EtcdClientTuning } from './client.js'

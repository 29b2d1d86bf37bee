/**
 * Builds an `etcd3` client from a DatastoreConfig, with the library's own retry and
 * circuit-breaker policies switched off: the syncer runs its own backoff loop, and a breaker that
 * stays open for 5 s after a restart would only delay recovery.
 */
import { Etcd3, type IOptions } from 'etcd3'
import type { DatastoreConfig } from '../syncer.js'

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>

/** A policy that runs the call once (etcd3 only ever calls `execute`). */
const NOOP_POLICY = {
  execute: <T>(fn: (ctx: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
} as unknown as Policy

/** Client tuning. */
export interface EtcdClientTuning {
  /** Deadline of every unary request (range, put, compact). @default 10000 */
  readonly requestTimeoutMs: number
  /** gRPC keepalive ping interval, to notice half-open connections. @default 10000 */
  readonly keepaliveMs: number
}

/** Defaults for {@link EtcdClientTuning}. */
export const DEFAULT_ETCD_CLIENT_TUNING: EtcdClientTuning = {
  requestTimeoutMs: 10_000,
  keepaliveMs: 10_000,
}

/** Creates a client for `cfg` (no I/O until the first call). */
export function createEtcdClient(
  cfg: Extract<DatastoreConfig, { type: 'etcdv3' }>,
  tuning: EtcdClientTuning = DEFAULT_ETCD_CLIENT_TUNING
): Etcd3 {
  const tls = cfg.tls
  const opts: IOptions = {
    hosts: [...cfg.endpoints],
    dialTimeout: tuning.requestTimeoutMs,
    defaultCallOptions: (ctx) =>
      ctx.isStream ? {} : { deadline: Date.now() + tuning.requestTimeoutMs },
    grpcOptions: {
      'grpc.keepalive_time_ms': tuning.keepaliveMs,
      'grpc.keepalive_timeout_ms': Math.max(1000, Math.floor(tuning.keepaliveMs / 2)),
      'grpc.keepalive_permit_without_calls': 1,
      // Watch responses batch many events; grpc-js's 4 MiB default is too small at scale.
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    },
    faultHandling: { host: () => NOOP_POLICY, global: NOOP_POLICY },
    ...(cfg.username !== undefined && {
      auth: { username: cfg.username, password: cfg.password ?? '' },
    }),
    ...(tls !== undefined && {
      credentials: {
        // grpc-js falls back to the system roots when no CA is given.
        rootCertificate: (tls.ca !== undefined ? Buffer.from(tls.ca) : undefined) as Buffer,
        ...(tls.key !== undefined && { privateKey: Buffer.from(tls.key) }),
        ...(tls.cert !== undefined && { certChain: Buffer.from(tls.cert) }),
      },
    }),
  }
  return new Etcd3(opts)
}

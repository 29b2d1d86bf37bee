/**
 * Test fakes for the mesh syncer's unit tests: a hand-driven Syncer and a factory that records
 * every syncer it creates. Not exported from the package.
 */
import type { KVUpdate, Resource, SyncStatus } from '@cattail/model'
import type { DatastoreConfig, Syncer, SyncerCallbacks, SyncerOptions } from '../../syncer.js'

/** A syncer the test drives by hand through `push`, `setStatus` and `fail`. */
export class FakeSyncer implements Syncer {
  status: SyncStatus = 'wait-for-ready'
  started = false
  stopped = false
  /** When set, start() rejects with it. */
  startError: Error | undefined
  constructor(
    readonly cfg: DatastoreConfig,
    readonly opts: SyncerOptions,
    readonly callbacks: SyncerCallbacks
  ) {}
  start(): Promise<void> {
    if (this.startError !== undefined) return Promise.reject(this.startError)
    this.started = true
    return Promise.resolve()
  }
  stop(): Promise<void> {
    this.stopped = true
    return Promise.resolve()
  }
  /** Emits puts (resources) and deletes (key strings) in one batch. */
  push(...items: (Resource | string)[]): void {
    const updates: KVUpdate[] = items.map((it) =>
      typeof it === 'string'
        ? { key: it, value: undefined, revision: '1' }
        : { key: keyFor(it), value: it, revision: '1' }
    )
    this.callbacks.onUpdates(updates)
  }
  setStatus(s: SyncStatus): void {
    this.status = s
    this.callbacks.onStatus(s)
  }
}

function keyFor(r: Resource): string {
  const ns = r.metadata.namespace
  return ns === undefined ? `${r.kind}/${r.metadata.name}` : `${r.kind}/${ns}/${r.metadata.name}`
}

/** Records every syncer created; `byEndpoint` finds a remote by its first etcd endpoint. */
export class FakeFactory {
  readonly created: FakeSyncer[] = []
  /** Errors to make the next start() of a syncer for this endpoint reject. */
  readonly failStart = new Map<string, Error>()
  readonly create = (cfg: DatastoreConfig, opts: SyncerOptions, cb: SyncerCallbacks): Syncer => {
    const s = new FakeSyncer(cfg, opts, cb)
    const ep = cfg.type === 'etcdv3' ? cfg.endpoints[0] : undefined
    const err = ep === undefined ? undefined : this.failStart.get(ep)
    if (err !== undefined) {
      s.startError = err
      this.failStart.delete(ep ?? '')
    }
    this.created.push(s)
    return s
  }
  /** The local syncer (the one with a file config). */
  get local(): FakeSyncer {
    const s = this.created.find((x) => x.cfg.type === 'file')
    if (s === undefined) throw new Error('no local syncer')
    return s
  }
  /** Live (not stopped) syncers for etcd endpoint `ep`. */
  live(ep: string): FakeSyncer[] {
    return this.created.filter(
      (x) => !x.stopped && x.cfg.type === 'etcdv3' && x.cfg.endpoints[0] === ep
    )
  }
  /** The one live syncer for `ep`. */
  remote(ep: string): FakeSyncer {
    const l = this.live(ep)
    if (l.length !== 1) throw new Error(`${l.length} live syncers for ${ep}`)
    return l[0] as FakeSyncer
  }
}

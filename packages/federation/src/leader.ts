/**
 * Leader election over a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does, so
 * that several replicas can run and only one writes.
 *
 * Overview: every `retryPeriodMs` each replica reads the Lease.
 *   - absent → create it holding it (201 = leader; 409 = someone was faster);
 *   - held by another whose record (holder, renewTime) has not changed for its
 *     `leaseDurationSeconds` (judged by this replica's clock from when it last saw the record
 *     change, never by comparing clocks) or released (empty holder) → take it over by an update
 *     carrying the read resourceVersion (409 = lost the race);
 *   - held by us → renew (update renewTime).
 * A leader that has not renewed for `renewDeadlineMs` (API down, conflicts) stops leading before
 * its lease can expire for others. `stop()` releases the lease (empty holder, 1 s duration) so a
 * standby takes over at once, as client-go's ReleaseOnCancel.
 */
import { errorMessage, type Logger } from '@cattail/common'
import type { KubeClient } from './kube/client.js'

/** Settings of the elector. */
export interface LeaseConfig {
  readonly namespace: string
  readonly name: string
  /** This replica's identity (pod name + random suffix by default). */
  readonly identity: string
  /** Lease duration written into the Lease. @default 15000 */
  readonly leaseDurationMs: number
  /** A leader that could not renew this long stops leading. @default 10000 */
  readonly renewDeadlineMs: number
  /** Interval between attempts. @default 2000 */
  readonly retryPeriodMs: number
}

/** What the elector reports. */
export interface LeaderCallbacks {
  onStartedLeading(): void
  onStoppedLeading(): void
}

interface LeaseSpec {
  holderIdentity?: string
  leaseDurationSeconds?: number
  acquireTime?: string
  renewTime?: string
  leaseTransitions?: number
}

interface LeaseObj {
  metadata?: { resourceVersion?: string }
  spec?: LeaseSpec
}

/** MicroTime (RFC 3339 with 6 fractional digits), as Kubernetes writes it. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

/** A Lease-based elector (see the file comment). */
export class LeaseElector {
  readonly #log: Logger
  #leader = false
  #timer: NodeJS.Timeout | undefined
  #stopped = false
  #observed: { record: string; at: number } | undefined
  #lastRenew = 0
  #running: Promise<void> | undefined

  constructor(
    private readonly client: KubeClient,
    private readonly cfg: LeaseConfig,
    private readonly callbacks: LeaderCallbacks,
    log: Logger
  ) {
    this.#log = log.child({
      component: 'leader-election',
      lease: `${cfg.namespace}/${cfg.name}`,
      identity: cfg.identity,
    })
  }

  /** True while this replica leads. */
  get isLeader(): boolean {
    return this.#leader
  }

  /** Starts trying to acquire the lease. */
  start(): void {
    this.#log.info({}, 'starting leader election')
    this.#tick()
  }

  /** Stops; a leader releases the lease first. */
  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
    if (!this.#leader) return
    this.#setLeader(false)
    try {
      const r = await this.client.request('GET', this.#path())
      const lease = r.body as LeaseObj
      if (r.status === 200 && lease.spec?.holderIdentity === this.cfg.identity) {
        const now = microTime(new Date())
        await this.client.request('PUT', this.#path(), {
          ...lease,
          spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now },
        })
        this.#log.info({}, 'released the lease')
      }
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'cannot release the lease')
    }
  }

  #path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.cfg.namespace)}/leases/${encodeURIComponent(this.cfg.name)}`
  }

  #tick(): void {
    if (this.#stopped) return
    const before = this.#lastRenew
    this.#running = this.#attempt()
      .catch((err: unknown) => this.#log.warn({ err: errorMessage(err) }, 'lease attempt failed'))
      .finally(() => {
        const renewed = this.#lastRenew !== before
        if (this.#leader && !renewed && Date.now() - this.#lastRenew > this.cfg.renewDeadlineMs) {
          this.#log.warn(
            { renewDeadlineMs: this.cfg.renewDeadlineMs },
            'could not renew the lease in time'
          )
          this.#setLeader(false)
        }
        if (!this.#stopped) this.#timer = setTimeout(() => this.#tick(), this.cfg.retryPeriodMs)
      })
  }

  async #attempt(): Promise<void> {
    const now = Date.now()
    const durationS = Math.max(1, Math.ceil(this.cfg.leaseDurationMs / 1000))
    const r = await this.client.request('GET', this.#path())
    if (r.status === 404) {
      const created = await this.client.request('POST', this.#path().replace(/\/[^/]+$/, ''), {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.cfg.name, namespace: this.cfg.namespace },
        spec: {
          holderIdentity: this.cfg.identity,
          leaseDurationSeconds: durationS,
          acquireTime: microTime(new Date(now)),
          renewTime: microTime(new Date(now)),
          leaseTransitions: 0,
        },
      })
      if (created.status === 201 || created.status === 200) this.#renewed(now)
      return
    }
    if (r.status !== 200) throw new Error(`GET lease: HTTP ${r.status}`)
    const lease = r.body as LeaseObj
    const spec = lease.spec ?? {}
    const holder = spec.holderIdentity ?? ''
    const record = `${holder}|${spec.renewTime ?? ''}`
    if (this.#observed?.record !== record) this.#observed = { record, at: now }
    const held = holder !== '' && holder !== this.cfg.identity
    const expired = now >= this.#observed.at + (spec.leaseDurationSeconds ?? durationS) * 1000
    if (held && !expired) {
      if (this.#leader) this.#setLeader(false)
      return
    }
    const mine = holder === this.cfg.identity
    const stamp = microTime(new Date(now))
    const updated = await this.client.request('PUT', this.#path(), {
      ...lease,
      spec: {
        holderIdentity: this.cfg.identity,
        leaseDurationSeconds: durationS,
        acquireTime: mine ? (spec.acquireTime ?? stamp) : stamp,
        renewTime: stamp,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    })
    if (updated.status === 200) {
      if (!mine)
        this.#log.info({ previous: holder === '' ? '(released)' : holder }, 'took over the lease')
      this.#renewed(now)
    }
  }

  #renewed(now: number): void {
    this.#lastRenew = now
    if (!this.#leader) this.#setLeader(true)
  }

  #setLeader(leader: boolean): void {
    if (this.#leader === leader) return
    this.#leader = leader
    this.#log.info({ leader }, leader ? 'acquired the lease' : 'lost the lease')
    if (leader) this.callbacks.onStartedLeading()
    else this.callbacks.onStoppedLeading()
  }
}

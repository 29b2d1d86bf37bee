/**
 * The contract every datastore driver keeps, as a node:test suite:
 * `runSyncerContract('etcdv3', makeHarness)`. Each test gets a fresh harness (its own backing
 * store) and closes it, also on failure.
 *
 * What the suite checks (see `Syncer` in ../syncer.ts for the contract in words):
 *   1. initial sync emits every object, then `in-sync`;
 *   2. adds, updates and deletes flow afterwards;
 *   3. writing the same content again (only the revision changes) emits nothing;
 *   4. only `opts.kinds` are emitted; Secrets only from `opts.secretsNamespace`;
 *   5. a bad object is reported through onFailure, treated as absent (deleted if it was
 *      present), and everything else keeps flowing;
 *   6. the server going away: `resync-in-progress` and a failure, then `in-sync` again with only
 *      the differences (nothing for unchanged keys, deletions for what vanished);
 *   7. compaction / expired watch (etcd compaction, Kubernetes 410): the relist emits only the
 *      differences;
 *   8. `stop()` is idempotent and nothing is reported after it.
 *
 * "Nothing emitted" is checked without sleeping: the test writes a marker object afterwards and
 * waits for it, relying on drivers emitting changes in datastore order.
 */
import { strict as assert } from 'node:assert'
import { describe, it, type TestContext } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { waitFor } from '@cattail/common/testing'
import {
  keyOf,
  keyToString,
  type IPPool,
  type NetworkPolicy,
  type Resource,
  type ResourceKind,
  type Secret,
  type Tier,
} from '@cattail/model'
import type { Syncer, SyncerOptions } from '../syncer.js'
import type { SyncerHarness } from './harness.js'
import { SyncerRecorder } from './recorder.js'

export type { SyncerHarness, SyncerHarnessCapabilities } from './harness.js'

const NS = 'ct-ns'
const SECRETS_NS = 'ct-secrets'
const TIMEOUT_MS = 20_000

const pool = (name: string, cidr: string, natOutgoing = true): IPPool => ({
  kind: 'IPPool',
  metadata: { name, labels: { 'cattail.test/contract': 'yes' } },
  spec: {
    cidr,
    vxlanMode: 'Always',
    ipipMode: 'Never',
    natOutgoing,
    disabled: false,
    blockSize: 26,
  },
})

const policy = (name: string, app: string): NetworkPolicy => ({
  kind: 'NetworkPolicy',
  metadata: { name, namespace: NS },
  spec: {
    tier: 'default',
    order: 100,
    selector: `app == '${app}'`,
    types: ['Ingress'],
    ingress: [{ action: 'Allow', source: { selector: "app == 'client'" } }],
  },
})

const secret = (name: string, namespace: string): Secret => ({
  kind: 'Secret',
  metadata: { name, namespace },
  spec: {
    data: { kubeconfig: `apiVersion: v1\nkind: Config\n# ${name}\n`, datastoreType: 'kubernetes' },
  },
})

const tier: Tier = { kind: 'Tier', metadata: { name: 'ct-tier' }, spec: { order: 10 } }

const keyFor = (r: Resource): string => keyToString(keyOf(r))

/** What must survive a round trip through any driver (uids, revisions and timestamps may be added). */
function content(r: Resource | undefined): unknown {
  if (r === undefined) return undefined
  const labels = r.metadata.labels ?? {}
  return {
    kind: r.kind,
    name: r.metadata.name,
    namespace: r.metadata.namespace,
    labels,
    spec: r.spec,
  }
}

const KINDS: ReadonlySet<ResourceKind> = new Set<ResourceKind>([
  'IPPool',
  'NetworkPolicy',
  'Secret',
])

/** Registers the contract suite for one driver. */
export function runSyncerContract(name: string, makeHarness: () => Promise<SyncerHarness>): void {
  void describe(`syncer contract: ${name}`, () => {
    /** Runs `body` with a fresh harness and a started syncer; cleans up whatever happens. */
    const withSyncer = async (
      prepare: (h: SyncerHarness) => Promise<void>,
      body: (h: SyncerHarness, rec: SyncerRecorder, syncer: Syncer) => Promise<void> | void,
      opts: Partial<SyncerOptions> = {},
      needs?: { capability: 'serverRestart' | 'compaction'; t: TestContext }
    ): Promise<void> => {
      const h = await makeHarness()
      let syncer: Syncer | undefined
      try {
        const reason = needs === undefined ? undefined : h.capabilities[needs.capability]
        if (needs !== undefined && reason !== undefined) {
          needs.t.skip(reason)
          return
        }
        await prepare(h)
        const rec = new SyncerRecorder()
        syncer = h.createSyncer({ kinds: KINDS, log: createSilentLogger(), ...opts }, rec)
        await syncer.start()
        await waitFor(() => rec.status === 'in-sync', { timeoutMs: TIMEOUT_MS, what: 'in-sync' })
        await body(h, rec, syncer)
      } finally {
        try {
          await syncer?.stop()
        } finally {
          await h.close()
        }
      }
    }

    const waitContent = async (rec: SyncerRecorder, r: Resource): Promise<void> => {
      await waitFor(
        () => {
          assert.deepEqual(content(rec.state.get(keyFor(r))), content(r))
          return true
        },
        { timeoutMs: TIMEOUT_MS, what: `${keyFor(r)} to have the expected content` }
      )
    }

    const waitAbsent = async (rec: SyncerRecorder, key: string): Promise<void> => {
      await waitFor(() => !rec.state.has(key), {
        timeoutMs: TIMEOUT_MS,
        what: `${key} to be deleted`,
      })
    }

    void it('initial sync emits every object, then reports in-sync', async () => {
      const objs = [
        pool('pool-a', '198.19.0.0/20'),
        pool('pool-b', '198.19.16.0/20'),
        policy('np-1', 'web'),
      ]
      await withSyncer(
        async (h) => {
          for (const o of objs) await h.put(o)
        },
        (_h, rec) => {
          for (const o of objs)
            assert.deepEqual(content(rec.state.get(keyFor(o))), content(o), rec.describe())
          assert.equal(rec.state.size, objs.length, rec.describe())
          const inSyncAt = rec.statuses.indexOf('in-sync')
          assert.ok(rec.statuses.indexOf('resync-in-progress') < inSyncAt, rec.describe())
          assert.equal(
            rec.stateSizeAtStatus[inSyncAt],
            objs.length,
            'every object arrives before in-sync'
          )
          assert.deepEqual(rec.failures, [])
          for (const u of rec.updates) assert.notEqual(u.revision, '', 'updates carry a revision')
        }
      )
    })

    void it('adds, updates and deletes flow after in-sync', async () => {
      const a = pool('pool-a', '198.19.0.0/20')
      const b = pool('pool-b', '198.19.16.0/20')
      await withSyncer(
        async (h) => {
          await h.put(a)
          await h.put(b)
        },
        async (h, rec) => {
          const c = policy('np-2', 'db')
          await h.put(c)
          await waitContent(rec, c)
          const a2 = pool('pool-a', '198.19.0.0/20', false)
          await h.put(a2)
          await waitContent(rec, a2)
          await h.remove('IPPool', 'pool-b', undefined)
          await waitAbsent(rec, keyFor(b))
          assert.equal(rec.updatesFor(keyFor(b)).at(-1)?.value, undefined)
          await h.remove('NetworkPolicy', 'np-2', NS)
          await waitAbsent(rec, keyFor(c))
          assert.equal(rec.status, 'in-sync')
          assert.deepEqual(rec.failures, [])
        }
      )
    })

    void it('writing the same content again emits nothing', async () => {
      const a = pool('pool-a', '198.19.0.0/20')
      await withSyncer(
        (h) => h.put(a),
        async (h, rec) => {
          assert.equal(rec.countFor(keyFor(a)), 1)
          await h.put(a)
          await h.put(a)
          const marker = pool('pool-marker', '198.19.32.0/20')
          await h.put(marker)
          await waitContent(rec, marker)
          assert.equal(rec.countFor(keyFor(a)), 1, rec.describe())
        }
      )
    })

    void it('emits only the requested kinds, and Secrets only from secretsNamespace', async () => {
      const wanted = secret('rcc-b', SECRETS_NS)
      const other = secret('rcc-x', 'ct-other')
      await withSyncer(
        async (h) => {
          await h.put(tier)
          await h.put(other)
          await h.put(wanted)
        },
        async (h, rec) => {
          assert.deepEqual(content(rec.state.get(keyFor(wanted))), content(wanted))
          assert.ok(!rec.state.has(keyFor(other)), rec.describe())
          assert.ok(!rec.state.has(keyFor(tier)), rec.describe())
          await h.put({ ...tier, spec: { order: 20 } })
          await h.put(secret('rcc-y', 'ct-other'))
          const marker = pool('pool-marker', '198.19.32.0/20')
          await h.put(marker)
          await waitContent(rec, marker)
          assert.deepEqual([...rec.state.keys()].sort(), [keyFor(marker), keyFor(wanted)].sort())
          assert.ok(!rec.updates.some((u) => u.key.startsWith('Tier/')), rec.describe())
        },
        { secretsNamespace: SECRETS_NS }
      )
    })

    void it('reports a bad object, treats it as absent and keeps the rest flowing', async () => {
      const a = pool('pool-a', '198.19.0.0/20')
      const badSpec = (n: string): unknown => ({
        apiVersion: 'projectcalico.org/v3',
        kind: 'IPPool',
        metadata: { name: n },
        spec: { cidr: '10.0.0/16' },
      })
      await withSyncer(
        async (h) => {
          await h.put(a)
          await h.putRaw('IPPool', 'pool-bad', undefined, badSpec('pool-bad'))
        },
        async (h, rec) => {
          assert.ok(rec.state.has(keyFor(a)), rec.describe())
          assert.ok(!rec.state.has('IPPool/pool-bad'), rec.describe())
          const f = rec.failures.find((e) => e.message.includes('pool-bad'))
          if (f === undefined) assert.fail(`a failure names the bad object: ${rec.describe()}`)
          assert.match(f.message, /spec\.cidr/)

          // A present object turns bad: deleted, reported, others keep flowing.
          const before = rec.failures.length
          await h.putRaw('IPPool', 'pool-a', undefined, badSpec('pool-a'))
          await waitAbsent(rec, keyFor(a))
          await waitFor(
            () => rec.failures.slice(before).some((e) => e.message.includes('pool-a')),
            {
              timeoutMs: TIMEOUT_MS,
              what: 'a failure for pool-a',
            }
          )
          const c = policy('np-3', 'api')
          await h.put(c)
          await waitContent(rec, c)
          await h.put(a)
          await waitContent(rec, a)
          assert.equal(rec.status, 'in-sync')
        }
      )
    })

    void it('recovers from a server restart: resync-in-progress and a failure, then only the differences', async (t) => {
      const a = pool('pool-a', '198.19.0.0/20')
      const b = pool('pool-b', '198.19.16.0/20')
      const c = policy('np-1', 'web')
      await withSyncer(
        async (h) => {
          for (const o of [a, b, c]) await h.put(o)
        },
        async (h, rec) => {
          const mark = rec.statuses.length
          const failuresBefore = rec.failures.length
          await h.stopServer()
          await waitFor(
            () =>
              rec.failures.length > failuresBefore &&
              rec.sawStatusSince('resync-in-progress', mark),
            {
              timeoutMs: TIMEOUT_MS,
              what: 'a failure and resync-in-progress after the server stopped',
            }
          )
          const c2 = policy('np-1', 'web-v2')
          const change = async (): Promise<void> => {
            await h.remove('IPPool', 'pool-b', undefined)
            await h.put(c2)
          }
          if (h.capabilities.writeWhileStopped) {
            await change()
            await h.startServer()
          } else {
            await h.startServer()
            await change()
          }
          const resyncAt = rec.statuses.indexOf('resync-in-progress', mark)
          await waitFor(() => rec.sawStatusSince('in-sync', resyncAt + 1), {
            timeoutMs: TIMEOUT_MS,
            what: 'in-sync after the restart',
          })
          await waitAbsent(rec, keyFor(b))
          await waitContent(rec, c2)
          assert.equal(
            rec.countFor(keyFor(a)),
            1,
            `unchanged keys are not re-emitted: ${rec.describe()}`
          )
          const d = pool('pool-d', '198.19.48.0/20')
          await h.put(d)
          await waitContent(rec, d)
        },
        {},
        { capability: 'serverRestart', t }
      )
    })

    void it('relists after compaction or an expired watch and emits only the differences', async (t) => {
      const a = pool('pool-a', '198.19.0.0/20')
      const b = pool('pool-b', '198.19.16.0/20')
      const c = policy('np-1', 'web')
      await withSyncer(
        async (h) => {
          for (const o of [a, b, c]) await h.put(o)
        },
        async (h, rec) => {
          const c2 = policy('np-1', 'web-v2')
          await h.compact(async () => {
            await h.remove('IPPool', 'pool-b', undefined)
            await h.put(c2)
          })
          await waitAbsent(rec, keyFor(b))
          await waitContent(rec, c2)
          assert.equal(
            rec.countFor(keyFor(a)),
            1,
            `unchanged keys are not re-emitted: ${rec.describe()}`
          )
          const d = pool('pool-d', '198.19.48.0/20')
          await h.put(d)
          await waitContent(rec, d)
          await waitFor(() => rec.status === 'in-sync', { timeoutMs: TIMEOUT_MS, what: 'in-sync' })
        },
        {},
        { capability: 'compaction', t }
      )
    })

    void it('stop() is idempotent and nothing is reported after it', async () => {
      await withSyncer(
        (h) => h.put(pool('pool-a', '198.19.0.0/20')),
        async (h, rec, syncer) => {
          await syncer.stop()
          await syncer.stop()
          const n = rec.updates.length + rec.statuses.length + rec.failures.length
          await h.put(pool('pool-b', '198.19.16.0/20'))
          await h.remove('IPPool', 'pool-a', undefined)
          // No marker can prove silence of a stopped syncer; a second syncer proves the writes landed.
          const rec2 = new SyncerRecorder()
          const s2 = h.createSyncer({ kinds: KINDS, log: createSilentLogger() }, rec2)
          await s2.start()
          try {
            await waitFor(() => rec2.status === 'in-sync' && rec2.state.has('IPPool/pool-b'), {
              timeoutMs: TIMEOUT_MS,
              what: 'a second syncer to see the writes',
            })
          } finally {
            await s2.stop()
          }
          assert.equal(
            rec.updates.length + rec.statuses.length + rec.failures.length,
            n,
            rec.describe()
          )
        }
      )
    })
  })
}

/**
 * A seeded fuzz of the per-object guard, as a node:test suite: `runSyncerFuzz('etcdv3', make)`.
 *
 * Overview: `count` objects of every stored kind (IPPool, IPAMBlock, HostEndpoint, NetworkPolicy,
 * GlobalNetworkPolicy, Tier, RemoteClusterConfiguration, Secret). About a third are valid
 * "controls" written with `put`; the rest are the manifests of valid objects with one to three
 * random mutations (a field replaced by a hostile value — wrong types, huge or deeply nested
 * values, a selector of 5,000 nested parentheses, bad CIDRs — or removed), written with `putRaw`.
 * `before` of them are written before the syncer starts (the list path), the rest after it is in
 * sync (the watch path). The suite checks that the driver reaches `in-sync`, that every control
 * arrives, that a marker written last arrives (nothing stalled), and that the failures reported
 * are BadObjectErrors. The process crashing fails the run. The generator is a seeded PRNG, so a
 * failure replays with the same seed (printed in the test name). `CATTAIL_FUZZ_COUNT=<n>` overrides
 * the size of every run.
 */
import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { waitFor } from '@cattail/common/testing'
import { keyOf, keyToString, type Resource } from '@cattail/model'
import { toManifest } from '../manifest.js'
import type { Syncer } from '../syncer.js'
import type { SyncerHarness } from './harness.js'
import { SyncerRecorder } from './recorder.js'

/** Sizes of one fuzz run. */
export interface FuzzOptions {
  /** Objects in total (controls and mutants). @default 10000 */
  readonly count?: number
  /** Of which written before the syncer starts. @default count / 2 */
  readonly before?: number
  /** The PRNG seed. @default 12 */
  readonly seed?: number
  /** Concurrent writes. @default 64 */
  readonly concurrency?: number
  /**
   * Hand mutants to `putRaw` as JSON text (etcd and file store text; JSON is YAML too, and far
   * cheaper to write than YAML). @default false
   */
  readonly rawAsJson?: boolean
}

type FuzzKind =
  | 'IPPool'
  | 'IPAMBlock'
  | 'HostEndpoint'
  | 'NetworkPolicy'
  | 'GlobalNetworkPolicy'
  | 'Tier'
  | 'RemoteClusterConfiguration'
  | 'Secret'

const KINDS: readonly FuzzKind[] = [
  'IPPool',
  'IPAMBlock',
  'HostEndpoint',
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'Tier',
  'RemoteClusterConfiguration',
  'Secret',
]
const NS = 'fuzz-ns'
const TIMEOUT_MS = 120_000

/** mulberry32: a small, good-enough seeded PRNG (tests only). */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const deepNest = (depth: number): unknown => {
  let v: unknown = 'x'
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v }
  return v
}

const HOSTILE: readonly unknown[] = [
  null,
  0,
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER,
  1.5,
  true,
  '',
  'x',
  [],
  {},
  [null],
  { __proto__: { polluted: true } },
  JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
  '999.1.1.1/33',
  '10.0.0.0/-1',
  '::/129',
  'a == "b',
  '('.repeat(5000) + 'a == "b"' + ')'.repeat(5000),
  '!'.repeat(5000) + 'all()',
  'x'.repeat(70_000),
  '\u0000\uffff\ud800',
  deepNest(200),
  Array.from({ length: 2000 }, (_, i) => i),
]

function validObject(kind: FuzzKind, i: number, tag: string): Resource {
  const name = `fuzz-${tag}-${kind.toLowerCase()}-${i}`
  const labels = { 'fuzz.test/i': String(i) }
  const sel = `app == "a${i % 7}" && has(tier)`
  switch (kind) {
    case 'IPPool':
      return {
        kind,
        metadata: { name, labels },
        spec: {
          cidr: `10.${(i >> 8) & 255}.${i & 255}.0/24`,
          vxlanMode: 'Always',
          ipipMode: 'Never',
          natOutgoing: true,
          disabled: false,
          blockSize: 26,
          nodeSelector: 'all()',
        },
      }
    case 'IPAMBlock': {
      const cidr = `10.${128 + ((i >> 8) & 127)}.${i & 255}.0/26`
      return {
        kind,
        metadata: { name: cidr.replace(/[./]/g, '-') },
        spec: {
          cidr,
          affinity: `host:node-${i}`,
          allocations: Array.from({ length: 64 }, () => null),
          unallocated: Array.from({ length: 64 }, (_, j) => j),
          attributes: [],
        },
      }
    }
    case 'HostEndpoint':
      return {
        kind,
        metadata: { name, labels },
        spec: {
          node: `node-${i}`,
          interfaceName: 'eth0',
          expectedIPs: ['198.18.0.1'],
          profiles: [],
        },
      }
    case 'NetworkPolicy':
    case 'GlobalNetworkPolicy':
      return {
        kind,
        metadata: kind === 'NetworkPolicy' ? { name, namespace: NS, labels } : { name, labels },
        spec: {
          tier: 'default',
          order: i,
          selector: sel,
          types: ['Ingress'],
          ingress: [
            {
              action: 'Allow',
              protocol: 'TCP',
              source: { selector: sel, nets: ['198.18.0.0/16'] },
              destination: { ports: [80, '8000:8080'] },
            },
          ],
        },
      }
    case 'Tier':
      return { kind, metadata: { name, labels }, spec: { order: i } }
    case 'RemoteClusterConfiguration':
      return {
        kind,
        metadata: { name, labels },
        spec: { datastoreType: 'etcdv3', etcdEndpoints: 'https://198.18.0.1:2379' },
      }
    case 'Secret':
      return {
        kind,
        metadata: { name, namespace: NS },
        spec: { data: { datastoreType: 'kubernetes', kubeconfig: `# ${name}\n` } },
      }
  }
}

/** Every [parent, key] of a JSON value, for picking a mutation point. */
function slots(
  v: unknown,
  depth = 0,
  out: [Record<string, unknown> | unknown[], string | number][] = []
): [Record<string, unknown> | unknown[], string | number][] {
  if (depth > 8) return out
  if (Array.isArray(v)) {
    v.slice(0, 8).forEach((x, i) => {
      out.push([v, i])
      slots(x, depth + 1, out)
    })
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      out.push([v as Record<string, unknown>, k])
      slots(x, depth + 1, out)
    }
  }
  return out
}

function mutate(r: Resource, rand: () => number): unknown {
  const doc = JSON.parse(JSON.stringify(toManifest(r))) as Record<string, unknown>
  const n = 1 + Math.floor(rand() * 3)
  for (let m = 0; m < n; m++) {
    const all = slots(doc).filter(([p, k]) => !(p === doc && k === 'kind'))
    const slot = all[Math.floor(rand() * all.length)]
    if (slot === undefined) break
    const [parent, key] = slot
    const picked = HOSTILE[Math.floor(rand() * HOSTILE.length)]
    // A fresh copy each time (JSON keeps an own `__proto__` key), so mutations never share.
    const hostile: unknown =
      typeof picked === 'object' && picked !== null ? JSON.parse(JSON.stringify(picked)) : picked
    if (rand() < 0.15 && !Array.isArray(parent)) delete parent[key as string]
    else (parent as Record<string | number, unknown>)[key] = hostile
  }
  return doc
}

async function inChunks<T>(items: readonly T[], size: number, fn: (t: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn))
}

interface Planned {
  readonly control: boolean
  readonly resource: Resource
  readonly raw: unknown
}

/** Registers the fuzz suite for one driver. */
export function runSyncerFuzz(
  name: string,
  makeHarness: () => Promise<SyncerHarness>,
  opts: FuzzOptions = {}
): void {
  const fromEnv = Number(process.env['CATTAIL_FUZZ_COUNT'] ?? '')
  const count = fromEnv > 0 ? fromEnv : (opts.count ?? 10_000)
  const before = Math.min(count, opts.before ?? Math.floor(count / 2))
  const seed = opts.seed ?? 12
  const concurrency = opts.concurrency ?? 64
  void describe(`syncer fuzz: ${name}`, () => {
    void it(`${count} mutated and valid objects (seed ${seed}): no stall, no crash, every valid object arrives`, async () => {
      const rand = prng(seed)
      const plan: Planned[] = []
      for (let i = 0; i < count; i++) {
        const kind = KINDS[i % KINDS.length] as FuzzKind
        const control = rand() < 0.33
        const resource = validObject(kind, i, control ? 'ok' : 'mut')
        plan.push({ control, resource, raw: control ? undefined : mutate(resource, rand) })
      }
      const write = async (h: SyncerHarness, p: Planned): Promise<void> => {
        const m = p.resource.metadata
        if (p.control) await h.put(p.resource)
        else
          await h.putRaw(
            p.resource.kind,
            m.name,
            m.namespace,
            opts.rawAsJson === true ? JSON.stringify(p.raw) : p.raw
          )
      }
      const h = await makeHarness()
      let syncer: Syncer | undefined
      try {
        await inChunks(plan.slice(0, before), concurrency, (p) => write(h, p))
        const rec = new SyncerRecorder()
        syncer = h.createSyncer(
          { kinds: new Set(KINDS), secretsNamespace: NS, log: createSilentLogger() },
          rec
        )
        await syncer.start()
        await waitFor(() => rec.status === 'in-sync', {
          timeoutMs: TIMEOUT_MS,
          what: 'in-sync after listing the fuzzed objects',
        })
        await inChunks(plan.slice(before), concurrency, (p) => write(h, p))
        const marker = validObject('Tier', count, 'marker')
        await h.put(marker)
        const wanted = plan.filter((p) => p.control).map((p) => keyToString(keyOf(p.resource)))
        wanted.push(keyToString(keyOf(marker)))
        await waitFor(() => wanted.every((k) => rec.state.has(k)), {
          timeoutMs: TIMEOUT_MS,
          what: 'every valid object',
        }).catch((err: unknown) => {
          const missing = wanted.filter((k) => !rec.state.has(k))
          const fails = rec.failures.slice(0, 3).map((f) => f.message.slice(0, 200))
          throw new Error(
            `${String(err)}; ${missing.length} missing, e.g. ${missing.slice(0, 5).join(', ')}; failures e.g. ${fails.join(' | ')}`
          )
        })
        assert.equal(rec.status, 'in-sync')
        assert.ok(rec.failures.length > 0, 'the mutants were reported')
        const others = rec.failures.filter((f) => f.code !== 'ERR_BAD_OBJECT')
        assert.deepEqual(
          others.map((f) => f.message),
          [],
          'only bad objects were reported'
        )
      } finally {
        try {
          await syncer?.stop()
        } finally {
          await h.close()
        }
      }
    })
  })
}

/**
 * Benchmark: the selector LabelIndex against naive full re-evaluation.
 *
 * Builds an index of realistic selectors (default 10,000) over realistic endpoints (default
 * 100,000) that inherit namespace and service-account labels from parents, then applies random
 * one-label changes to random endpoints and measures, per change:
 *  - indexed: `LabelIndex.updateItem` with the endpoint's full new label map, as a watcher delivers
 *    a relabelled pod (label diff, bucket update, candidate lookup, evaluation and match events),
 *    in a loop of index changes only;
 *  - naive: evaluating every selector against the changed endpoint's labels (the floor of what a
 *    non-indexed implementation must do per change), in a second loop that alternates an index
 *    change with the naive evaluation. The index's figures from that loop are reported too
 *    (`change_interleaved_*`): there each index change starts with caches that the sweep over
 *    every selector has just filled with its own data, which an index-based agent does not pay.
 * The first changes are also checked: the index's events must equal the naive before/after diff.
 *
 * Usage: npm run bench -- selector [--quick] [--selectors N] [--endpoints N] [--changes N] [--seed N]
 * Prints a table, then one JSON line: {"bench":"selector", "build_ms":…, …}.
 */
import { LabelIndex, parseSelector, type Selector } from '@cattail/selector'
import { createPrng, type Prng } from '@cattail/selector/testing'
import { isQuick, numberArg } from './args.js'

interface Options {
  readonly quick: boolean
  readonly selectors: number
  readonly endpoints: number
  readonly changes: number
  readonly seed: number
}

function parseArgs(argv: readonly string[]): Options {
  const quick = isQuick(argv)
  const num = (name: string, dflt: number): number => numberArg(argv, name, dflt, true)
  return {
    quick,
    selectors: num('selectors', quick ? 1_000 : 10_000),
    endpoints: num('endpoints', quick ? 5_000 : 100_000),
    changes: num('changes', quick ? 2_000 : 20_000),
    seed: num('seed', 20261121),
  }
}

const TIERS = ['frontend', 'backend', 'db', 'cache', 'worker']
const ENVS = ['prod', 'staging', 'dev']
const VERSIONS = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']
const OPTIONAL = Array.from({ length: 500 }, (_, i) => `feature.example.com/opt-${i}`)
const APPS_PER_NAMESPACE = 20

interface World {
  readonly namespaces: string[]
  readonly appsOf: (ns: number) => string[]
  readonly endpoints: { id: string; ns: number; labels: Map<string, string>; parents: string[] }[]
}

function makeWorld(prng: Prng, opts: Options): World {
  const nNs = Math.max(4, Math.round(opts.endpoints / 500))
  const namespaces = Array.from({ length: nNs }, (_, i) => `ns-${i}`)
  const appsOf = (ns: number): string[] =>
    Array.from({ length: APPS_PER_NAMESPACE }, (_, k) => `app-${ns * APPS_PER_NAMESPACE + k}`)
  const endpoints: World['endpoints'] = []
  for (let i = 0; i < opts.endpoints; i++) {
    const ns = prng.int(nNs)
    const app = prng.pick(appsOf(ns))
    const labels = new Map<string, string>([
      ['app', app],
      ['app.kubernetes.io/name', app],
      ['tier', prng.pick(TIERS)],
      ['env', ENVS[ns % ENVS.length]!],
      ['version', prng.pick(VERSIONS)],
      ['pod-template-hash', (0x10000000 + prng.int(0xfffffff)).toString(16)],
      ['projectcalico.org/namespace', namespaces[ns]!],
      ['projectcalico.org/orchestrator', 'k8s'],
      ['projectcalico.org/serviceaccount', 'default'],
    ])
    for (let k = prng.int(4); k > 0; k--) labels.set(prng.pick(OPTIONAL), 'true')
    if (prng.chance(0.05)) labels.set('canary', 'true')
    endpoints.push({
      id: `wep-${i}`,
      ns,
      labels,
      parents: [`kns.${namespaces[ns]}`, `ksa.${namespaces[ns]}.default`],
    })
  }
  return { namespaces, appsOf, endpoints }
}

type Shape = 'app' | 'app-in-tier' | 'has-env' | 'namespaced' | 'profile' | 'unindexed'

// Distinct selectors: Felix keys selector ipsets by unique id, so identical texts would share one.
function makeSelectors(prng: Prng, world: World, n: number): { text: string; shape: Shape }[] {
  const out: { text: string; shape: Shape }[] = []
  const seen = new Set<string>()
  const nNs = world.namespaces.length
  const anyApp = (): string => prng.pick(world.appsOf(prng.int(nNs)))
  for (let attempt = 0; out.length < n; attempt++) {
    if (attempt > n * 20) throw new Error(`cannot generate ${n} distinct selectors`)
    const before = out.length
    const r = prng.int(100)
    if (r < 33) out.push({ shape: 'app', text: `app == "${anyApp()}"` })
    else if (r < 53) {
      const ns = prng.int(nNs)
      const apps = [0, 1, 2].map(() => `"${prng.pick(world.appsOf(ns))}"`).join(', ')
      out.push({ shape: 'app-in-tier', text: `app in {${apps}} && tier == "${prng.pick(TIERS)}"` })
    } else if (r < 68) {
      const text = `has(${prng.pick(OPTIONAL)}) && env != "${prng.pick(ENVS)}"`
      out.push({ shape: 'has-env', text })
    } else if (r < 93) {
      const ns = prng.int(nNs)
      const text = `projectcalico.org/namespace == "${world.namespaces[ns]}" && app == "${prng.pick(world.appsOf(ns))}"`
      out.push({ shape: 'namespaced', text })
    } else if (r < 98) {
      const text = prng.pick([
        `pcns.team == "team-${prng.int(50)}" && tier in {"frontend", "backend"}`,
        `pcsa.projectcalico.org/name == "default" && app == "${anyApp()}" && version != "v1"`,
        `version starts with "v${1 + prng.int(6)}" && pcns.projectcalico.org/name == "${prng.pick(world.namespaces)}"`,
      ])
      out.push({ shape: 'profile', text })
    } else {
      // The realistic minority no label restriction can index.
      const text = prng.pick([
        'all()',
        `!has(${prng.pick(OPTIONAL)})`,
        `env != "${prng.pick(ENVS)}"`,
        `version not in {"v${1 + prng.int(6)}"}`,
        `!(app == "${anyApp()}")`,
        `canary != "true" && !has(${prng.pick(OPTIONAL)})`,
      ])
      out.push({ shape: 'unindexed', text })
    }
    const added = out[out.length - 1]!
    if (out.length > before && seen.has(added.text)) out.pop()
    else seen.add(added.text)
  }
  return out
}

// One-label change of an endpoint's own labels.
function mutate(prng: Prng, world: World, ep: World['endpoints'][number]): Map<string, string> {
  const labels = new Map(ep.labels)
  const r = prng.int(100)
  if (r < 40) labels.set('version', prng.pick(VERSIONS))
  else if (r < 60) {
    const app = prng.pick(world.appsOf(ep.ns))
    labels.set('app', app)
  } else if (r < 80) {
    const opt = prng.pick(OPTIONAL)
    if (labels.has(opt)) labels.delete(opt)
    else labels.set(opt, 'true')
  } else if (r < 90) labels.set('tier', prng.pick(TIERS))
  else if (labels.has('canary')) labels.delete('canary')
  else labels.set('canary', 'true')
  return labels
}

const nowNs = (): bigint => process.hrtime.bigint()
const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
const mean = (xs: readonly number[]): number =>
  xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
const gc = (): void => (globalThis as { gc?: () => void }).gc?.()

function main(): void {
  const opts = parseArgs(process.argv.slice(2))
  const prng = createPrng(opts.seed)
  const world = makeWorld(prng, opts)
  const specs = makeSelectors(prng, world, opts.selectors)
  const t0 = nowNs()
  const selectors = specs.map((s) => parseSelector(s.text))
  const parseMs = Number(nowNs() - t0) / 1e6

  let started = 0
  let stopped = 0
  let record: string[] | undefined // events of the change being verified
  const index = new LabelIndex({
    onMatchStarted: (s, i) => {
      started++
      record?.push(`+${s}|${i}`)
    },
    onMatchStopped: (s, i) => {
      stopped++
      record?.push(`-${s}|${i}`)
    },
  })

  gc()
  const heapBefore = process.memoryUsage().heapUsed
  const b0 = nowNs()
  for (let n = 0; n < world.namespaces.length; n++) {
    const ns = world.namespaces[n]!
    index.updateParent(`kns.${ns}`, {
      'pcns.projectcalico.org/name': ns,
      'pcns.kubernetes.io/metadata.name': ns,
      'pcns.team': `team-${n % 50}`,
      'pcns.env': ENVS[n % ENVS.length]!,
    })
    index.updateParent(`ksa.${ns}.default`, { 'pcsa.projectcalico.org/name': 'default' })
  }
  for (const ep of world.endpoints) index.updateItem(ep.id, ep.labels, ep.parents)
  const b1 = nowNs()
  selectors.forEach((sel, i) => index.updateSelector(`sel-${i}`, sel))
  const b2 = nowNs()
  const buildMs = Number(b2 - b0) / 1e6
  gc()
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024
  const matchesAfterBuild = started - stopped

  const naiveEval = (labels: ReadonlyMap<string, string>, sels: readonly Selector[]): number => {
    let hits = 0
    for (let i = 0; i < sels.length; i++) if (sels[i]!.evaluate(labels)) hits++
    return hits
  }

  // Correctness spot-check: the index's events equal the naive before/after diff.
  const verify = Math.min(200, opts.changes)
  for (let c = 0; c < verify; c++) {
    const ep = prng.pick(world.endpoints)
    const before = new Map(index.itemLabels(ep.id)) // the index patches its map in place
    ep.labels = mutate(prng, world, ep)
    record = []
    index.updateItem(ep.id, ep.labels, ep.parents)
    const after = index.itemLabels(ep.id)!
    const want: string[] = []
    selectors.forEach((s, i) => {
      const was = s.evaluate(before)
      const now = s.evaluate(after)
      if (was !== now) want.push(`${now ? '+' : '-'}sel-${i}|${ep.id}`)
    })
    const got = record.sort().join(',')
    if (got !== want.sort().join(',')) {
      throw new Error(
        `index events differ from naive diff for ${ep.id}: ${got} vs ${want.join(',')}`
      )
    }
  }
  record = undefined

  const warmup = Math.min(1000, opts.changes)
  // Indexed alone: the index in its own steady state, nothing else running between changes.
  const indexedNs: number[] = []
  for (let c = 0; c < warmup + opts.changes; c++) {
    const ep = prng.pick(world.endpoints)
    ep.labels = mutate(prng, world, ep)
    const i0 = nowNs()
    index.updateItem(ep.id, ep.labels, ep.parents)
    const i1 = nowNs()
    if (c >= warmup) indexedNs.push(Number(i1 - i0))
  }
  // Interleaved: each change through the index, then the naive evaluation of every selector on the
  // changed endpoint. The index's figures here include the cache misses the naive sweep causes.
  const interleavedNs: number[] = []
  const naiveNs: number[] = []
  let sink = 0
  for (let c = 0; c < warmup + opts.changes; c++) {
    const ep = prng.pick(world.endpoints)
    ep.labels = mutate(prng, world, ep)
    const i0 = nowNs()
    index.updateItem(ep.id, ep.labels, ep.parents)
    const i1 = nowNs()
    const labels = index.itemLabels(ep.id)!
    const n0 = nowNs()
    sink += naiveEval(labels, selectors)
    const n1 = nowNs()
    if (c >= warmup) {
      interleavedNs.push(Number(i1 - i0))
      naiveNs.push(Number(n1 - n0))
    }
  }
  indexedNs.sort((a, b) => a - b)
  interleavedNs.sort((a, b) => a - b)
  naiveNs.sort((a, b) => a - b)

  const stats = index.stats()
  const changeMeanUs = mean(indexedNs) / 1000
  const changeP99Us = percentile(indexedNs, 99) / 1000
  const naiveMeanUs = mean(naiveNs) / 1000
  const naiveP99Us = percentile(naiveNs, 99) / 1000
  const ratio = naiveMeanUs / changeMeanUs
  const interleavedMeanUs = mean(interleavedNs) / 1000
  const interleavedP99Us = percentile(interleavedNs, 99) / 1000
  const shapes = new Map<Shape, number>()
  for (const s of specs) shapes.set(s.shape, (shapes.get(s.shape) ?? 0) + 1)

  const row = (k: string, v: string): void => console.log(`  ${k.padEnd(44)} ${v}`)
  const f = (x: number, d = 2): string => x.toFixed(d)
  console.log(`selector label index benchmark${opts.quick ? ' (--quick)' : ''}`)
  row(
    'selectors / endpoints / namespaces',
    `${opts.selectors} / ${opts.endpoints} / ${world.namespaces.length}`
  )
  row('selector shapes', [...shapes].map(([k, v]) => `${k} ${v}`).join(', '))
  row(
    'filed: value / label / unindexed / never',
    `${stats.valueIndexedSelectors} / ${stats.labelIndexedSelectors} / ${stats.unindexedSelectors} / ${stats.neverMatchingSelectors}`
  )
  row('parse all selectors', `${f(parseMs)} ms`)
  row(
    'index build (parents+endpoints / selectors)',
    `${f(buildMs)} ms (${f(Number(b1 - b0) / 1e6)} / ${f(Number(b2 - b1) / 1e6)})`
  )
  row('matches after build / heap growth', `${matchesAfterBuild} / ${f(heapMb, 1)} MiB`)
  row('verified changes (events == naive diff)', `${verify}`)
  row(
    `one label change, indexed (n=${opts.changes})`,
    `mean ${f(changeMeanUs)} µs   p99 ${f(changeP99Us)} µs`
  )
  row(
    'one label change, indexed, interleaved',
    `mean ${f(interleavedMeanUs)} µs   p99 ${f(interleavedP99Us)} µs`
  )
  row(
    'one label change, naive (all selectors)',
    `mean ${f(naiveMeanUs)} µs   p99 ${f(naiveP99Us)} µs`
  )
  row('naive / indexed (mean)', `${f(ratio, 1)}×   (targets: ≥ 100×, p99 < 1000 µs)`)
  row('naive / indexed interleaved (mean)', `${f(naiveMeanUs / interleavedMeanUs, 1)}×`)
  row('events during run (started / stopped)', `${started} / ${stopped}   (sink ${sink})`)
  console.log(
    JSON.stringify({
      bench: 'selector',
      build_ms: round(buildMs),
      change_mean_us: round(changeMeanUs),
      change_p99_us: round(changeP99Us),
      naive_mean_us: round(naiveMeanUs),
      naive_p99_us: round(naiveP99Us),
      ratio_naive_to_indexed: round(ratio),
      change_interleaved_mean_us: round(interleavedMeanUs),
      change_interleaved_p99_us: round(interleavedP99Us),
      ratio_naive_to_interleaved: round(naiveMeanUs / interleavedMeanUs),
      selectors: opts.selectors,
      endpoints: opts.endpoints,
    })
  )
}

const round = (x: number): number => Math.round(x * 100) / 100

main()

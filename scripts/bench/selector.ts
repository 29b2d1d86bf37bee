/**
 * Benchmark: the selector LabelIndex against naive full re-evaluation, like for like.
 *
 * Builds an index of realistic selectors (default 10,000) over realistic endpoints (default
 * 100,000) that inherit namespace and service-account labels from parents (the build is timed:
 * endpoints one by one, then the selectors in one `updateSelectors` batch, as an agent's initial
 * load), then applies random one-label changes to random endpoints. Per change, both sides run one right
 * after the other, in the same process state, their order swapped on every change:
 *  - indexed: `LabelIndex.updateItem` with the endpoint's full new label map, as a watcher delivers
 *    a relabelled pod (label diff, bucket update, candidate lookup, evaluation and match events);
 *  - naive: every selector evaluated on the endpoint's effective labels (the floor of what a
 *    non-indexed implementation must do per change).
 * The changes are split into `--reps` repetitions; per repetition the index's mean and p99, the
 * naive mean and their ratio are computed, and the median and spread (min–max) over repetitions
 * are reported. The first changes are also checked: the index's events must equal the naive
 * before/after diff.
 *
 * Targets (full size, see TARGETS): ratio ≥ 100×, index p99 < 1 ms. `--quick` (1,000 × 5,000)
 * reports but does not enforce them (common.ts).
 *
 * Usage: npm run bench -- selector [--quick] [--selectors N] [--endpoints N] [--changes N]
 *        [--reps N] [--seed N]
 */
import { LabelIndex, parseSelector, type Selector } from '@cattail/selector'
import { createPrng, type Prng } from '@cattail/selector/testing'
import { isQuick, numberArg } from './args.js'
import {
  finish,
  fmtSummary,
  mean,
  percentile,
  printTable,
  r2,
  runBench,
  summarize,
  type Target,
} from './common.js'

interface Options {
  readonly quick: boolean
  readonly selectors: number
  readonly endpoints: number
  readonly changes: number
  readonly reps: number
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
    reps: num('reps', quick ? 3 : 7),
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
const gc = (): void => (globalThis as { gc?: () => void }).gc?.()

/** Targets, for the full size (10,000 selectors × 100,000 endpoints). */
const TARGETS: readonly Target[] = [
  { figure: 'ratio_naive_to_indexed', op: '>=', limit: 100 },
  { figure: 'change_p99_us', op: '<', limit: 1000 },
]

// Every selector evaluated on the endpoint's effective labels: the floor of a non-indexed agent.
function naiveEval(labels: ReadonlyMap<string, string>, sels: readonly Selector[]): number {
  let hits = 0
  for (let i = 0; i < sels.length; i++) if (sels[i]!.evaluate(labels)) hits++
  return hits
}

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

  const parentLabels = new Map<string, Record<string, string>>()
  for (let n = 0; n < world.namespaces.length; n++) {
    const ns = world.namespaces[n]!
    parentLabels.set(`kns.${ns}`, {
      'pcns.projectcalico.org/name': ns,
      'pcns.kubernetes.io/metadata.name': ns,
      'pcns.team': `team-${n % 50}`,
      'pcns.env': ENVS[n % ENVS.length]!,
    })
    parentLabels.set(`ksa.${ns}.default`, { 'pcsa.projectcalico.org/name': 'default' })
  }
  // What a naive agent holds for an endpoint: its own labels over its parents' (first parent wins).
  const effective = (ep: World['endpoints'][number]): Map<string, string> => {
    const out = new Map<string, string>()
    for (let p = ep.parents.length - 1; p >= 0; p--)
      for (const [k, v] of Object.entries(parentLabels.get(ep.parents[p]!) ?? {})) out.set(k, v)
    for (const [k, v] of ep.labels) out.set(k, v)
    return out
  }

  gc()
  const heapBefore = process.memoryUsage().heapUsed
  const b0 = nowNs()
  for (const [id, labels] of parentLabels) index.updateParent(id, labels)
  for (const ep of world.endpoints) index.updateItem(ep.id, ep.labels, ep.parents)
  const b1 = nowNs()
  index.updateSelectors(selectors.map((sel, i) => [`sel-${i}`, sel] as const))
  const b2 = nowNs()
  const buildMs = Number(b2 - b0) / 1e6
  gc()
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024
  const matchesAfterBuild = started - stopped

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

  // Like for like: per change, the index update and the naive evaluation of every selector, one
  // right after the other, their order swapped on every change, in `reps` repetitions (the first
  // one after an untimed warm-up). Per repetition: index mean and p99, naive mean, and their ratio.
  // The changes of a repetition are generated first (untimed) and a gc runs before its timed
  // loop, so that no garbage of the benchmark's own (label maps) is collected inside a timed
  // side: a collection in the loop is then caused by the index alone.
  interface Change {
    readonly ep: World['endpoints'][number]
    readonly labels: Map<string, string>
    readonly eff: Map<string, string>
  }
  const makeChanges = (n: number): Change[] =>
    Array.from({ length: n }, () => {
      const ep = prng.pick(world.endpoints)
      ep.labels = mutate(prng, world, ep)
      return { ep, labels: ep.labels, eff: effective(ep) }
    })
  let sink = 0
  const run = (
    changes: readonly Change[],
    timed: boolean,
    idx: number[],
    naive: number[]
  ): void => {
    for (let c = 0; c < changes.length; c++) {
      const { ep, labels, eff } = changes[c]!
      let ti: number
      let tn: number
      if (c % 2 === 0) {
        const a = nowNs()
        index.updateItem(ep.id, labels, ep.parents)
        const b = nowNs()
        sink += naiveEval(eff, selectors)
        const d = nowNs()
        ti = Number(b - a)
        tn = Number(d - b)
      } else {
        const a = nowNs()
        sink += naiveEval(eff, selectors)
        const b = nowNs()
        index.updateItem(ep.id, labels, ep.parents)
        const d = nowNs()
        tn = Number(b - a)
        ti = Number(d - b)
      }
      if (timed) {
        idx.push(ti)
        naive.push(tn)
      }
    }
  }
  run(makeChanges(Math.min(1000, opts.changes)), false, [], [])
  const perRep = Math.max(1, Math.floor(opts.changes / opts.reps))
  const reps = { idxMean: [] as number[], idxP99: [] as number[], naiveMean: [] as number[] }
  const ratios: number[] = []
  const allIdx: number[] = []
  for (let r = 0; r < opts.reps; r++) {
    const changes = makeChanges(perRep)
    gc()
    const idx: number[] = []
    const naive: number[] = []
    run(changes, true, idx, naive)
    idx.sort((a, b) => a - b)
    reps.idxMean.push(mean(idx) / 1000)
    reps.idxP99.push(percentile(idx, 99) / 1000)
    reps.naiveMean.push(mean(naive) / 1000)
    ratios.push(mean(naive) / mean(idx))
    allIdx.push(...idx)
  }
  allIdx.sort((a, b) => a - b)
  const idxMean = summarize(reps.idxMean)
  const idxP99 = summarize(reps.idxP99)
  const naiveMean = summarize(reps.naiveMean)
  const ratio = summarize(ratios)

  const stats = index.stats()
  const evalsPerChange = stats.labelChangeEvaluations / Math.max(1, stats.labelChanges)
  const shapes = new Map<Shape, number>()
  for (const s of specs) shapes.set(s.shape, (shapes.get(s.shape) ?? 0) + 1)
  const f = (x: number, d = 2): string => x.toFixed(d)
  printTable(`selector label index benchmark${opts.quick ? ' (--quick)' : ''}`, [
    [
      'selectors / endpoints / namespaces',
      `${opts.selectors} / ${opts.endpoints} / ${world.namespaces.length}`,
    ],
    ['selector shapes', [...shapes].map(([k, v]) => `${k} ${v}`).join(', ')],
    [
      'filed: value / label / unindexed / never',
      `${stats.valueIndexedSelectors} / ${stats.labelIndexedSelectors} / ${stats.unindexedSelectors} / ${stats.neverMatchingSelectors}`,
    ],
    ['parse all selectors', `${f(parseMs)} ms`],
    [
      'index build (parents+endpoints / selectors)',
      `${f(buildMs)} ms (${f(Number(b1 - b0) / 1e6)} / ${f(Number(b2 - b1) / 1e6)})`,
    ],
    ['matches after build / heap growth', `${matchesAfterBuild} / ${f(heapMb, 1)} MiB`],
    ['verified changes (events == naive diff)', `${verify}`],
    [`repetitions × changes (alternated per change)`, `${opts.reps} × ${perRep}`],
    ['one label change, indexed: mean', fmtSummary(idxMean, ' µs')],
    ['one label change, indexed: p99', fmtSummary(idxP99, ' µs')],
    ['one label change, naive (every selector): mean', fmtSummary(naiveMean, ' µs')],
    ['naive / indexed (per repetition)', fmtSummary(ratio, '×', 1)],
    ['indexed p99 over all repetitions', `${f(percentile(allIdx, 99) / 1000)} µs`],
    ['selectors evaluated per label change (index)', f(evalsPerChange)],
    ['events during run (started / stopped)', `${started} / ${stopped}   (sink ${sink})`],
  ])
  finish(
    'selector',
    {
      selectors: opts.selectors,
      endpoints: opts.endpoints,
      reps: opts.reps,
      build_ms: r2(buildMs),
      build_endpoints_ms: r2(Number(b1 - b0) / 1e6),
      build_selectors_ms: r2(Number(b2 - b1) / 1e6),
      change_mean_us: r2(idxMean.median),
      change_mean_us_min: r2(idxMean.min),
      change_mean_us_max: r2(idxMean.max),
      change_p99_us: r2(idxP99.median),
      change_p99_us_min: r2(idxP99.min),
      change_p99_us_max: r2(idxP99.max),
      naive_mean_us: r2(naiveMean.median),
      ratio_naive_to_indexed: r2(ratio.median),
      ratio_naive_to_indexed_min: r2(ratio.min),
      ratio_naive_to_indexed_max: r2(ratio.max),
      evaluations_per_change: r2(evalsPerChange),
    },
    TARGETS,
    opts.quick
  )
}

runBench(main)

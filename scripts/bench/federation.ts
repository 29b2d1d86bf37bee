/**
 * Benchmark: federated services, from a change to a backing Service's endpoints to the federated
 * Endpoints AND EndpointSlices being written.
 *
 * Set-up: one test Kubernetes API server per cluster (default 5: the local one and 4 remotes, each
 * an RCC with a kubeconfig Secret in the local one). The local cluster holds N federated Services
 * (default 1,000, spread over 10 namespaces), each selecting `app == "app-<i>"`; every cluster
 * holds a backing Service `app-<i>-<cluster>` with one EndpointSlice of 2 addresses. One
 * controller (in this process) federates them all; the run waits until every federated Service
 * lists all its addresses.
 *
 * Measurement: one change at a time, a random backing slice (random service, random cluster) gets
 * a new address; the clock runs from the write until a watch on the local server (a separate
 * client) has seen the new address in both the federated Endpoints and one of its EndpointSlices.
 * Several rounds; the table shows each round's p50/p99 and the JSON line the median over rounds
 * (and the spread of the round p99s).
 *
 * Usage: npm run bench -- federation [--quick] [--services N] [--clusters N] [--changes N] [--rounds N]
 * Prints a table, then one JSON line: {"bench":"federation","p50_ms":…,"p99_ms":…,…}.
 * Exits 1 when a target is missed.
 */
import { createRootLogger, createSilentLogger } from '@cattail/common'
import {
  DEFAULT_REFLECTOR_CONFIG,
  KubeApi,
  Reflector,
  loadKubeConfig,
  type RawObject,
} from '@cattail/datastore'
import { endpointSlice, meshTo, service, startTestController } from '@cattail/federation/testing'
import { startTestApiServer, type TestApiServer } from '@cattail/testapi'
import { isQuick, numberArg } from './args.js'
import { finish, type Target } from './common.js'

const TARGETS: readonly Target[] = [{ figure: 'p99_ms', op: '<=', limit: 1000 }]
const NAMESPACES = 10

interface Options {
  readonly quick: boolean
  readonly services: number
  readonly clusters: number
  readonly changes: number
  readonly rounds: number
}

function parseArgs(argv: readonly string[]): Options {
  const quick = isQuick(argv)
  const num = (name: string, dflt: number): number => numberArg(argv, name, dflt, true)
  return {
    quick,
    services: num('services', quick ? 60 : 1000),
    clusters: num('clusters', quick ? 3 : 5),
    changes: num('changes', quick ? 40 : 200),
    rounds: num('rounds', 3),
  }
}

const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN
}
const median = (xs: readonly number[]): number => percentile(xs, 50)
const f = (x: number, d = 1): string => x.toFixed(d)
const row = (k: string, v: string): void => console.log(`${k.padEnd(44)} ${v}`)

/** Waits for the watch to have seen `ip` in both the Endpoints and a slice of federated `svc`. */
class Observer {
  readonly #waiting = new Map<
    string,
    { ip: string; ep: boolean; slice: boolean; done: () => void }
  >()
  readonly #abort = new AbortController()
  #runs: Promise<void>[] = []

  start(api: KubeApi): void {
    const on = (kind: 'ep' | 'slice') => (o: RawObject) => {
      const ns = o.metadata?.namespace ?? ''
      const name =
        kind === 'ep'
          ? (o.metadata?.name ?? '')
          : ((o.metadata as { labels?: Record<string, string> } | undefined)?.labels?.[
              'kubernetes.io/service-name'
            ] ?? '')
      const w = this.#waiting.get(`${ns}/${name}`)
      if (w === undefined || !JSON.stringify(o).includes(`"${w.ip}"`)) return
      if (kind === 'ep') w.ep = true
      else w.slice = true
      if (w.ep && w.slice) {
        this.#waiting.delete(`${ns}/${name}`)
        w.done()
      }
    }
    const tuning = { ...DEFAULT_REFLECTOR_CONFIG }
    for (const [path, kind] of [
      ['/api/v1/endpoints', 'ep'],
      ['/apis/discovery.k8s.io/v1/endpointslices', 'slice'],
    ] as const) {
      const cb = on(kind)
      const r = new Reflector(
        path,
        api,
        tuning,
        {
          onList: () => undefined,
          onEvent: (_t, o) => cb(o),
          onHealthy: () => undefined,
          onError: () => undefined,
        },
        createSilentLogger()
      )
      this.#runs.push(r.run(this.#abort.signal))
    }
  }

  wait(key: string, ip: string): Promise<void> {
    return new Promise((done) => this.#waiting.set(key, { ip, ep: false, slice: false, done }))
  }

  async stop(): Promise<void> {
    this.#abort.abort()
    await Promise.allSettled(this.#runs)
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2))
  const names = Array.from({ length: opts.clusters }, (_, i) => `c${i}`)
  const servers: TestApiServer[] = []
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(servers.map((s) => s.stop()))
  }
  try {
    for (let i = 0; i < opts.clusters; i++)
      servers.push(await startTestApiServer({ bookmarkIntervalMs: 1000 }))
    const local = servers[0] as TestApiServer
    const nsOf = (i: number): string => `ns-${i % NAMESPACES}`
    for (const [ci, api] of servers.entries()) {
      for (const ns of [
        'calico-system',
        ...Array.from({ length: NAMESPACES }, (_, k) => `ns-${k}`),
      ])
        api.put('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
      for (let i = 0; i < opts.services; i++) {
        const name = `app-${i}-${names[ci]}`
        api.put(
          'services',
          service(nsOf(i), name, { labels: { app: `app-${i}` }, selector: { app: `app-${i}` } })
        )
        api.put('endpointslices.discovery.k8s.io', endpointSlice(nsOf(i), name, addrs(ci, i, 0)))
      }
    }
    for (let i = 0; i < opts.services; i++)
      local.put('services', service(nsOf(i), `fed-${i}`, { federate: `app == "app-${i}"` }))
    for (const [ci, api] of servers.entries()) if (ci > 0) meshTo(local, names[ci] as string, api)

    const t0 = performance.now()
    const ctl = await startTestController(local, {
      options: {
        writeConcurrency: '32',
        leaseDurationMs: '15000',
        leaseRenewDeadlineMs: '10000',
        leaseRetryPeriodMs: '2000',
      },
      ...(process.env['BENCH_LOG'] !== undefined && { log: createRootLogger('info', 'bench') }),
    })
    const want = opts.clusters * 2
    for (;;) {
      let done = 0
      for (const ep of local.list('endpoints')) {
        const subsets = (ep['subsets'] as { addresses?: unknown[] }[] | undefined) ?? []
        if (
          (ep.metadata.name ?? '').startsWith('fed-') &&
          subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0) === want
        )
          done++
      }
      if (done === opts.services) break
      if (performance.now() - t0 > 600_000)
        throw new Error(`initial sync: ${done}/${opts.services} after 600 s`)
      await new Promise((r) => setTimeout(r, 250))
    }
    const initialMs = performance.now() - t0

    const observer = new Observer()
    const dir = await import('@cattail/common/testing').then((m) => m.tempDir('cattail-bench-fed-'))
    const kc = loadKubeConfig({ kind: 'path', path: await local.writeKubeconfig(dir.path) })
    observer.start(new KubeApi(kc, 30_000))
    // let the observer's watches start (first list)
    await new Promise((r) => setTimeout(r, 500))

    let seq = 1
    let rng = 20261203
    const rand = (n: number): number => {
      rng = (rng * 1103515245 + 12345) % 2 ** 31
      return rng % n
    }
    const rounds: { p50: number; p99: number; samples: number[] }[] = []
    for (let r = 0; r < opts.rounds; r++) {
      const samples: number[] = []
      for (let k = 0; k < opts.changes; k++) {
        const i = rand(opts.services)
        const ci = rand(opts.clusters)
        const api = servers[ci] as TestApiServer
        const a = addrs(ci, i, seq++)
        const seen = observer.wait(`${nsOf(i)}/fed-${i}`, a[1]?.ip ?? '')
        const start = performance.now()
        api.put(
          'endpointslices.discovery.k8s.io',
          endpointSlice(nsOf(i), `app-${i}-${names[ci]}`, a)
        )
        await seen
        samples.push(performance.now() - start)
      }
      rounds.push({ p50: median(samples), p99: percentile(samples, 99), samples })
    }
    await observer.stop()
    await ctl.stop()
    await dir.remove()

    const p50 = median(rounds.map((r) => r.p50))
    const p99 = median(rounds.map((r) => r.p99))
    const p99s = rounds.map((r) => r.p99)
    const spread = Math.max(...p99s) - Math.min(...p99s)
    row(
      'federated services / clusters',
      `${opts.services} / ${opts.clusters} (${opts.services * opts.clusters} backing services)`
    )
    row('initial sync (all federated endpoints written)', `${f(initialMs, 0)} ms`)
    for (const [k, r] of rounds.entries())
      row(`round ${k + 1} (${r.samples.length} changes)`, `p50 ${f(r.p50)} ms   p99 ${f(r.p99)} ms`)
    row('median over rounds', `p50 ${f(p50)} ms   p99 ${f(p99)} ms   (p99 spread ${f(spread)} ms)`)
    // The shared verdict: the JSON line with targets, pass, quick and enforced; a miss fails a
    // full run (exit code 1), a --quick run reports it only.
    finish(
      'federation',
      {
        services: opts.services,
        clusters: opts.clusters,
        changes: opts.changes * opts.rounds,
        initial_sync_ms: Math.round(initialMs),
        p50_ms: Math.round(p50 * 100) / 100,
        p99_ms: Math.round(p99 * 100) / 100,
        p99_spread_ms: Math.round(spread * 100) / 100,
      },
      TARGETS,
      opts.quick
    )
    await stopAll()
    process.exit(process.exitCode ?? 0)
  } catch (err) {
    await stopAll()
    throw err
  }
}

let nextAddress = 0

/** Two fresh addresses (never used before in the run, from 198.18.0.0/15) for backing Service `i` in cluster `ci`. */
function addrs(ci: number, i: number, v: number): { pod: string; ip: string }[] {
  return [0, 1].map((k) => {
    const n = nextAddress++
    return {
      pod: `p-${i}-${ci}-${v}-${k}`,
      ip: `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`,
    }
  })
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})

/**
 * Health aggregation in the manner of libcalico-go's `health.go`.
 *
 * # Overview
 * Components register as reporters for liveness and/or readiness, each with a timeout, and report
 * periodically (and eagerly on a change). The overall state is the AND over every reporter that
 * registered for that quality; a reporter that has not reported within its timeout counts as bad
 * ("timed out"). With no reporters the process is live and ready.
 *
 * # Implementation
 * Pure bookkeeping over an injectable clock; the HTTP side lives in `health-server.ts`.
 */

/** What a reporter promises to report. */
export interface ReporterSpec {
  /** Counts towards liveness. */
  readonly live: boolean
  /** Counts towards readiness. */
  readonly ready: boolean
  /** A report older than this makes the reporter bad. 0 = never times out. */
  readonly timeoutMs: number
}

/** One report. */
export interface HealthReport {
  readonly live: boolean
  readonly ready: boolean
  /** Short human-readable detail shown in the response body. */
  readonly detail?: string
}

/** One reporter's line in the overall summary. */
export interface ReporterSummary {
  readonly name: string
  readonly live: boolean | undefined
  readonly ready: boolean | undefined
  readonly detail: string
}

/** The aggregated state. */
export interface HealthSummary {
  readonly live: boolean
  readonly ready: boolean
  readonly reporters: readonly ReporterSummary[]
}

interface Entry {
  readonly spec: ReporterSpec
  report: HealthReport | undefined
  atMs: number
}

/** Aggregates reporters into overall liveness and readiness. */
export class HealthAggregator {
  readonly #reporters = new Map<string, Entry>()
  constructor(private readonly nowMs: () => number = Date.now) {}

  /** Registers (or re-registers) a reporter; it is bad until its first report. */
  register(name: string, spec: ReporterSpec): void {
    this.#reporters.set(name, { spec, report: undefined, atMs: 0 })
  }

  /** Records a report from a registered reporter. Unknown names are ignored. */
  report(name: string, report: HealthReport): void {
    const e = this.#reporters.get(name)
    if (e === undefined) return
    e.report = report
    e.atMs = this.nowMs()
  }

  /** The current aggregated state. */
  summary(): HealthSummary {
    const now = this.nowMs()
    let live = true
    let ready = true
    const reporters: ReporterSummary[] = []
    for (const [name, e] of this.#reporters) {
      const timedOut =
        e.report === undefined || (e.spec.timeoutMs > 0 && now - e.atMs > e.spec.timeoutMs)
      const rLive = e.spec.live ? !timedOut && e.report?.live === true : undefined
      const rReady = e.spec.ready ? !timedOut && e.report?.ready === true : undefined
      if (rLive === false) live = false
      if (rReady === false) ready = false
      const detail =
        e.report === undefined ? 'no report yet' : timedOut ? 'timed out' : (e.report.detail ?? '')
      reporters.push({ name, live: rLive, ready: rReady, detail })
    }
    return { live, ready, reporters }
  }
}

/** Renders the summary as the small text table served by `/liveness` and `/readiness`. */
export function renderHealthText(s: HealthSummary, quality: 'live' | 'ready'): string {
  const head = `${quality === 'live' ? 'live' : 'ready'}: ${quality === 'live' ? s.live : s.ready}`
  const lines = s.reporters
    .filter((r) => (quality === 'live' ? r.live : r.ready) !== undefined)
    .map((r) => {
      const ok = quality === 'live' ? r.live : r.ready
      return `${r.name}\t${ok === true ? 'ok' : 'bad'}\t${r.detail}`
    })
  return [head, ...lines].join('\n') + '\n'
}

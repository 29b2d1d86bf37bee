/**
 * docker/monitoring: the alert rules pass `promtool check rules` and their unit tests
 * (`promtool test rules`), and the dashboard and rules query only metrics cattail exports (read
 * from the real CacheMetrics and AgentMetrics registries) or the names reserved for components on
 * other branches (cattail_agent_policy_*, cattail_federation_*) and kube-state-metrics.
 */
import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { parse } from 'yaml'
import { AgentMetrics } from '@cattail/agent'
import { CacheMetrics } from '@cattail/cache'

const DIR = fileURLToPath(new URL('../../../docker/monitoring/', import.meta.url))
const PROMTOOL = process.env['PROMTOOL_BIN'] ?? '/usr/bin/promtool'
/** Metrics of components not in this tree yet, and of kube-state-metrics. */
const RESERVED = /^(cattail_agent_policy_|cattail_federation_|kube_)/

const promtool = (args: readonly string[]): Promise<{ code: number; out: string }> =>
  new Promise((resolve) => {
    execFile(PROMTOOL, args, { cwd: DIR, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, out: stdout + stderr })
    })
  })

/** Metric names cattail exports (histograms with their _bucket/_sum/_count series). */
async function exported(): Promise<Set<string>> {
  const text =
    (await new CacheMetrics(false).exposition()) + (await new AgentMetrics().registry.metrics())
  const names = new Set<string>()
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)/gm)) {
    const [, name = '', type] = m
    names.add(name)
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s)
  }
  return names
}

/** Metric names in a PromQL expression (identifiers not followed by `(`, minus keywords and durations). */
function metricsIn(expr: string): string[] {
  const noStrings = expr.replace(/"[^"]*"/g, '""').replace(/\{[^}]*\}/g, '')
  const words = [...noStrings.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .filter((m) => !/^\s*\(/.test(noStrings.slice((m.index ?? 0) + m[0].length)))
    .map((m) => m[0])
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'and', 'or', 'unless', 'le', 'bool'])
  return words.filter((w) => !keywords.has(w) && w.includes('_'))
}

void describe('monitoring (docker/monitoring)', () => {
  const noPromtool = existsSync(PROMTOOL)
    ? false
    : `${PROMTOOL} not found (Debian package prometheus; scripts/setup.sh installs it)`

  void it('alert rules pass promtool check rules', { skip: noPromtool }, async () => {
    const r = await promtool(['check', 'rules', 'cattail-alerts.yaml'])
    assert.equal(r.code, 0, r.out)
    assert.match(r.out, /SUCCESS: 5 rules found/)
  })

  void it('alert rules pass their promtool unit tests', { skip: noPromtool }, async () => {
    const r = await promtool(['test', 'rules', 'cattail-alerts.test.yaml'])
    assert.equal(r.code, 0, r.out)
    assert.match(r.out, /SUCCESS/)
  })

  void it('the dashboard and the rules query only metrics that exist', async () => {
    const names = await exported()
    assert.ok(names.has('remote_cluster_connection_status'))
    const dash = JSON.parse(readFileSync(DIR + 'cattail-dashboard.json', 'utf8')) as {
      panels: { title: string; type: string; targets?: { expr: string }[] }[]
    }
    const rules = parse(readFileSync(DIR + 'cattail-alerts.yaml', 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[]
    }
    const exprs = [
      ...dash.panels.flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr] as const)),
      ...rules.groups.flatMap((g) => g.rules.map((r) => [r.alert, r.expr] as const)),
    ]
    assert.ok(exprs.length > 20)
    for (const [where, expr] of exprs)
      for (const m of metricsIn(expr))
        assert.ok(names.has(m) || RESERVED.test(m), `${where}: ${m} is not a cattail metric`)
    const titles = dash.panels.map((p) => p.title).join('\n')
    for (const t of [
      /Remote cluster state/,
      /in-sync age/,
      /Client lag/,
      /Ping latency/,
      /Snapshot size/,
      /Snapshot builds/,
      /apply time/,
      /ipsets/,
      /Federation write latency/,
    ])
      assert.match(titles, t)
  })
})

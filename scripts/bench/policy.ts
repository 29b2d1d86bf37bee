/**
 * Policy benchmark (root): P policies over N endpoints (half of them remote, from 4 remote
 * clusters) programmed into a fresh network namespace by the agent's own policy calc, manager and
 * kernel driver (real ipset and iptables-restore, through `ip netns exec`), against the tool limit:
 * the same final ipsets and chains written by one `ipset restore` and one `iptables-restore` /
 * `ip6tables-restore` each into another fresh namespace.
 *
 * Then C changes: a remote endpoint's label flips (it leaves some rule selectors and joins others),
 * timed from the update reaching the manager to the kernel's ipsets being updated (calc, manager,
 * `ipset restore`), against the limit of writing the same member changes with one `ipset restore`.
 * iptables-restore runs during the changes are counted: a membership change must touch ipsets only.
 *
 * Repetitions alternate the order of the two sides; medians and spreads are reported.
 *
 * Usage: npm run bench -- policy [--quick] [--policies N] [--endpoints N] [--changes N] [--reps N]
 * Ends with ONE JSON line: {"bench":"policy", …, "targets":{…}, "pass":{…}}; exits 1 on a miss.
 * Addresses: endpoints from 198.18.0.0/15 (inside the bench's own namespaces; no traffic is sent).
 */
import { randomUUID } from 'node:crypto'
import { writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createPolicyCalc,
  DEFAULT_POLICY_DATAPLANE_CONFIG,
  ExecRunner,
  KernelPolicyDriver,
  PolicyManager,
  type PolicyDesired,
} from '@cattail/agent'
import { addNetns, delNetns, isRoot, policyFixtures, sh } from '@cattail/agent/testing'
import { createRootLogger } from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import { isQuick, numberArg } from './args.js'
import { finish, percentile, printTable, runBench, summarize, type Target } from './common.js'

const argv = process.argv.slice(2)
const quick = isQuick(argv)
const P = numberArg(argv, 'policies', quick ? 50 : 1000, true)
const N = numberArg(argv, 'endpoints', quick ? 2000 : 100_000, true)
const C = numberArg(argv, 'changes', quick ? 30 : 200, true)
const REPS = numberArg(argv, 'reps', quick ? 2 : 3, true)
const TARGETS: readonly Target[] = [
  { figure: 'first_programming_ms', op: '<=', limit: 5000 },
  { figure: 'change_p99_ms', op: '<=', limit: 10 },
  { figure: 'iptables_restores_during_changes', op: '<=', limit: 0 },
]

if (!isRoot()) {
  console.error('policy bench needs root (network namespaces, iptables, ipset)')
  process.exit(2)
}
if (N > 130_000) throw new Error('--endpoints: at most 130000 addresses fit in 198.18.0.0/15')

const NODE = 'bench-node'
const APPS = 200
const NAMESPACES = 50
const REMOTES = ['c1', 'c2', 'c3', 'c4']
const log = createRootLogger('warn', 'bench')
const { np, nsProfile, wep } = policyFixtures

const ip4 = (n: number): string =>
  `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
const BASE = ((198 << 24) | (18 << 16)) >>> 0

/**
 * Endpoint i: even = local, odd = remote (round robin over the remote clusters). Apps cycle every
 * two endpoints. The first APPS local endpoints run on this node, one per app, in the namespace of
 * the policies that select that app, so every policy applies here; the rest spread over namespaces
 * independently of their app, so each rule selector matches endpoints in many places.
 */
function endpoint(i: number, app = Math.floor(i / 2) % APPS): KVUpdate {
  const j = Math.floor(i / 2)
  const local = i % 2 === 0
  const onThisNode = local && j < APPS
  const ns = `ns-${onThisNode ? app % NAMESPACES : Math.floor(j / APPS) % NAMESPACES}`
  return wep({
    name: `ep-${i}`,
    ns,
    node: onThisNode ? NODE : `node-${i % 997}`,
    ip: ip4(BASE + 1 + i),
    labels: { app: `app-${app}`, 'projectcalico.org/namespace': ns },
    ...(onThisNode && { iface: `calib${i}` }),
    ...(!local && { cluster: REMOTES[i % REMOTES.length]! }),
  })
}

function policy(k: number): KVUpdate {
  const ns = `ns-${k % NAMESPACES}`
  return np(`pol-${k}`, ns, {
    selector: `app == 'app-${k % APPS}'`,
    types: ['Ingress', 'Egress'],
    ingress: [
      {
        action: 'Allow',
        protocol: 'TCP',
        source: { selector: `app == 'app-${(k + 1) % APPS}'` },
        destination: { ports: [80 + (k % 10)] },
      },
    ],
    egress: [
      {
        action: 'Allow',
        protocol: 'TCP',
        destination: {
          selector: `app == 'app-${(k + 7) % APPS}'`,
          namespaceSelector: 'all()',
          ports: [5432],
        },
      },
    ],
  })
}

function allUpdates(): KVUpdate[] {
  const out: KVUpdate[] = []
  for (let n = 0; n < NAMESPACES; n++) {
    out.push(nsProfile(`ns-${n}`))
    for (const c of REMOTES) out.push(nsProfile(`ns-${n}`, {}, c))
  }
  for (let k = 0; k < P; k++) out.push(policy(k))
  for (let i = 0; i < N; i++) out.push(endpoint(i))
  return out
}

/** A counting runner: every tool run inside `ns`. */
class CountingRunner extends ExecRunner {
  readonly counts = new Map<string, number>()
  override run(tool: string, args: readonly string[], opts?: Parameters<ExecRunner['run']>[2]) {
    this.counts.set(tool, (this.counts.get(tool) ?? 0) + 1)
    return super.run(tool, args, opts)
  }
}

interface AgentRun {
  readonly firstMs: number
  readonly changeMs: number[]
  readonly restoresDuringChanges: number
}

/** The final desired state and each change's member lines, from the pure calc alone. */
interface Plan {
  readonly desired: PolicyDesired
  readonly changeDeltas: readonly string[][]
}

function plan(updates: readonly KVUpdate[], changes: readonly KVUpdate[]): Plan {
  const calc = createPolicyCalc({ nodeName: NODE })
  for (const u of updates) calc.onUpdate(u)
  calc.takeChanges()
  const desired = calc.desired()
  const changeDeltas = changes.map((u) => {
    calc.onUpdate(u)
    const lines: string[] = []
    for (const [set, d] of calc.takeChanges().members) {
      for (const x of d.del) lines.push(`del ${set} ${x} -exist`)
      for (const x of d.add) lines.push(`add ${set} ${x} -exist`)
    }
    return lines
  })
  return { desired, changeDeltas }
}

const restoreCount = (r: CountingRunner): number =>
  (r.counts.get('iptables-restore') ?? 0) + (r.counts.get('ip6tables-restore') ?? 0)

/** The agent side: calc + manager + kernel driver into namespace `ns`. */
async function agentSide(
  ns: string,
  updates: readonly KVUpdate[],
  changes: readonly KVUpdate[]
): Promise<AgentRun> {
  const runner = new CountingRunner(ns)
  const calc = createPolicyCalc({ nodeName: NODE })
  const driver = new KernelPolicyDriver(DEFAULT_POLICY_DATAPLANE_CONFIG, runner, log)
  const manager = new PolicyManager(calc, driver, log)
  driver.markForResync()
  const t0 = performance.now()
  for (const u of updates) manager.onUpdate(u)
  manager.completeDeferredWork()
  await driver.apply()
  const firstMs = performance.now() - t0
  const before = restoreCount(runner)
  const changeMs: number[] = []
  for (const u of changes) {
    const s = performance.now()
    manager.onUpdate(u)
    manager.completeDeferredWork()
    await driver.apply()
    changeMs.push(performance.now() - s)
  }
  return { firstMs, changeMs, restoresDuringChanges: restoreCount(runner) - before }
}

/** The limit: the same final state by one ipset restore and one iptables-restore per family. */
async function toolSide(
  ns: string,
  desired: PolicyDesired,
  changeDeltas: readonly string[][]
): Promise<{ firstMs: number; changeMs: number[] }> {
  const dir = join(tmpdir(), `cattail-bench-policy-${randomUUID()}`)
  const ipsetFile = `${dir}.ipset`
  const ipt = { 4: `${dir}.v4`, 6: `${dir}.v6` } as const
  const ipsetLines: string[] = []
  for (const s of desired.ipsets.values()) {
    ipsetLines.push(
      `create ${s.name} ${s.type} family ${s.family === 4 ? 'inet' : 'inet6'} maxelem 1048576`
    )
    for (const m of s.members) ipsetLines.push(`add ${s.name} ${m}`)
  }
  await writeFile(ipsetFile, ipsetLines.join('\n') + '\n')
  for (const fam of [4, 6] as const) {
    const out: string[] = []
    for (const [table, chains] of desired.chains[fam]) {
      out.push(`*${table}`)
      for (const name of chains.keys()) out.push(`:${name} - -`)
      for (const [name, c] of chains) for (const r of c.rules) out.push(`-A ${name} ${r}`)
      for (const h of desired.hooks)
        if (h.table === table && chains.has(h.target)) out.push(`-I ${h.builtin} 1 -j ${h.target}`)
      out.push('COMMIT')
    }
    await writeFile(ipt[fam], out.join('\n') + '\n')
  }
  try {
    const t0 = performance.now()
    await sh('ip', 'netns', 'exec', ns, 'ipset', 'restore', '-file', ipsetFile)
    await sh('ip', 'netns', 'exec', ns, 'sh', '-c', `iptables-restore --noflush < ${ipt[4]}`)
    await sh('ip', 'netns', 'exec', ns, 'sh', '-c', `ip6tables-restore --noflush < ${ipt[6]}`)
    const firstMs = performance.now() - t0
    const changeMs: number[] = []
    for (const lines of changeDeltas) {
      await writeFile(ipsetFile, lines.join('\n') + '\n')
      const s = performance.now()
      await sh('ip', 'netns', 'exec', ns, 'ipset', 'restore', '-file', ipsetFile)
      changeMs.push(performance.now() - s)
    }
    return { firstMs, changeMs }
  } finally {
    await Promise.all([ipsetFile, ipt[4], ipt[6]].map((f) => rm(f, { force: true })))
  }
}

function changesFor(): KVUpdate[] {
  const out: KVUpdate[] = []
  for (let c = 0; c < C; c++) {
    const i = ((c * 7919) % Math.floor(N / 2)) * 2 + 1 // a remote endpoint
    out.push(endpoint(i, (Math.floor(i / 2) + 1 + c) % APPS))
  }
  return out
}

async function main(): Promise<void> {
  const updates = allUpdates()
  const changes = changesFor()
  const agentFirst: number[] = []
  const toolFirst: number[] = []
  const agentChange: number[] = []
  const toolChange: number[] = []
  let restores = 0
  const { desired, changeDeltas } = plan(updates, changes)
  const sets = desired.ipsets.size
  const members = [...desired.ipsets.values()].reduce((a, s) => a + s.members.size, 0)
  const chains = [...desired.chains[4].values()].reduce((a, t) => a + t.size, 0)
  for (let r = 0; r < REPS; r++) {
    const nsA = `ct-bench-pol-a${process.pid}-${r}`
    const nsT = `ct-bench-pol-t${process.pid}-${r}`
    try {
      await addNetns(nsA)
      await addNetns(nsT)
      // both sides in every repetition, their order swapped each time
      const runAgent = async (): Promise<void> => {
        const res = await agentSide(nsA, updates, changes)
        agentFirst.push(res.firstMs)
        agentChange.push(...res.changeMs)
        restores += res.restoresDuringChanges
      }
      const runTools = async (): Promise<void> => {
        const res = await toolSide(nsT, desired, changeDeltas)
        toolFirst.push(res.firstMs)
        toolChange.push(...res.changeMs)
      }
      for (const side of r % 2 === 0 ? [runAgent, runTools] : [runTools, runAgent]) await side()
      console.error(
        `[policy] rep ${r + 1}/${REPS}: agent ${agentFirst.at(-1)!.toFixed(0)} ms, tools ${toolFirst.at(-1)!.toFixed(0)} ms`
      )
    } finally {
      await delNetns(nsA)
      await delNetns(nsT)
    }
  }
  const first = summarize(agentFirst)
  const firstTools = summarize(toolFirst)
  const a = [...agentChange].sort((x, y) => x - y)
  const t = [...toolChange].sort((x, y) => x - y)
  const figures = {
    policies: P,
    endpoints: N,
    remote_endpoints: Math.floor(N / 2),
    reps: REPS,
    ipsets: sets,
    ipset_members: members,
    v4_chains: chains,
    first_programming_ms: Math.round(first.median),
    first_programming_min_ms: Math.round(first.min),
    first_programming_max_ms: Math.round(first.max),
    first_programming_tools_ms: Math.round(firstTools.median),
    first_programming_ratio_to_tools: Number((first.median / firstTools.median).toFixed(2)),
    change_p50_ms: Number(percentile(a, 50).toFixed(2)),
    change_p99_ms: Number(percentile(a, 99).toFixed(2)),
    change_tools_p50_ms: Number(percentile(t, 50).toFixed(2)),
    change_tools_p99_ms: Number(percentile(t, 99).toFixed(2)),
    changes: a.length,
    iptables_restores_during_changes: restores,
  }
  const f = (x: number): string => x.toFixed(1)
  printTable(
    `policy benchmark (${quick ? 'quick' : 'full'}, ${REPS} repetitions, order alternated)`,
    [
      ['policies / endpoints (remote)', `${P} / ${N} (${figures.remote_endpoints})`],
      ['ipsets / members / v4 chains', `${sets} / ${members} / ${chains}`],
      ['first programming, agent', `${f(first.median)} ms (${f(first.min)}–${f(first.max)})`],
      [
        'same state: one ipset + iptables-restore',
        `${f(firstTools.median)} ms (${f(firstTools.min)}–${f(firstTools.max)})`,
      ],
      ['agent / tools', `${figures.first_programming_ratio_to_tools}×`],
      [
        'remote label change → ipsets updated, agent',
        `p50 ${figures.change_p50_ms} ms, p99 ${figures.change_p99_ms} ms (n=${a.length})`,
      ],
      [
        'same members by one ipset restore',
        `p50 ${figures.change_tools_p50_ms} ms, p99 ${figures.change_tools_p99_ms} ms`,
      ],
      ['iptables-restore runs during changes', String(restores)],
    ]
  )
  finish('policy', figures, TARGETS, quick)
}

runBench(main)

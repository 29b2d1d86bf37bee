/**
 * VXLAN dataplane benchmark (root): N remote VTEPs with one IPAM block each (3·N entries: FDB,
 * ARP, onlink route) programmed into a fresh network namespace, three ways, in `--reps`
 * repetitions whose order rotates:
 *  - agent: the production dataplane in a child inside the netns (NetnsAgent), its gate already
 *    open; the whole mesh arrives as one update line. The clock starts when that line reaches
 *    the agent (before it is even parsed: the calc runs inside the timer) and stops when the
 *    kernel is programmed, both read inside the agent process (`sinceUpdateMs`). It programs
 *    through its pipelined netlink writer (drivers/netlink-writer.ts: the raw method below);
 *  - iproute2: `bridge -batch` and `ip -batch` of the same entries, run in parallel (the faster
 *    of sequential and parallel measured before), from spawn to exit;
 *  - netlink: the same entries as raw batched rtnetlink messages (netlink-batch.ts: 64 messages
 *    per sendmsg, one ack per datagram, ≤ 1024 unacknowledged), built before the clock starts,
 *    from the first send to the last acknowledgement.
 * The limit of a repetition is the faster of iproute2 and netlink in that repetition; the ratio
 * is agent rate / limit rate. Every way starts from a netns with the underlay and the vxlan
 * device made (the agent makes its own device inside its timer). Then the latency of one
 * incremental VTEP change (a node's underlay IP moves: one FDB replace) over `--changes`
 * changes, timed inside the agent from the update line to the kernel.
 *
 * Targets (full size, TARGETS): ratio ≥ 0.9, incremental p99 ≤ 5 ms. `--quick` (500 VTEPs)
 * reports but does not enforce them (common.ts).
 *
 * Usage: npm run bench -- vxlan [--quick] [--vteps N ≤ 30000] [--changes N] [--reps N]
 * Addresses: underlay 198.18.0.0/16 inside the netns, pod blocks (/31) from 198.19.0.0/16.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { KVUpdate } from '@cattail/model'
import { blockUpdate, nodeUpdate, poolUpdate } from '@cattail/agent/testing'
import { vtepMacForNode } from '@cattail/agent'
import { NetnsAgent, addNetns, delNetns, isRoot, sh } from '@cattail/agent/testing'
import { isQuick, numberArg } from './args.js'
import {
  alternate,
  finish,
  fmtSummary,
  percentile,
  printTable,
  r2,
  runBench,
  summarize,
  type Target,
} from './common.js'

const TARGETS: readonly Target[] = [
  { figure: 'ratio_to_limit', op: '>=', limit: 0.9 },
  { figure: 'incremental_p99_ms', op: '<=', limit: 5 },
]
const argv = process.argv.slice(2)
const QUICK = isQuick(argv)
const N = numberArg(argv, 'vteps', QUICK ? 500 : 10_000, true)
const CHANGES = numberArg(argv, 'changes', 100, true)
const REPS = numberArg(argv, 'reps', QUICK ? 2 : 5, true)
if (!isRoot()) {
  console.error('vxlan bench needs root (network namespaces)')
  process.exit(2)
}
if (N > 30_000)
  throw new Error(
    '--vteps: at most 30000 (/31 blocks in 198.19.0.0/16, moved IPs in 198.18.0.0/16)'
  )

const ip4 = (n: number): string =>
  `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
const UNDERLAY = (198 << 24) | (18 << 16)
const PODS = ((198 << 24) | (19 << 16)) >>> 0
// A node's underlay IP; `moved` gives its second address (incremental changes alternate).
const nodeIp = (i: number, moved = false): string => ip4((UNDERLAY + 2 + i + (moved ? N : 0)) >>> 0)
const blockBase = (i: number): number => (PODS + i * 2) >>> 0
const name = (i: number): string => `vtep-${i}`
const DEVICE = 'vxlan.calico'
const PROTOCOL = 80

function updates(): KVUpdate[] {
  const out: KVUpdate[] = [
    nodeUpdate('bench-local', { ip: '198.18.0.1/16', tunnel: '198.19.255.255' }),
    poolUpdate('default', '198.19.0.0/16', { cluster: 'b' }),
  ]
  for (let i = 0; i < N; i++) {
    out.push(
      nodeUpdate(name(i), { cluster: 'b', ip: `${nodeIp(i)}/16`, tunnel: ip4(blockBase(i)) })
    )
    out.push(blockUpdate(`${ip4(blockBase(i))}/31`, `host:b/${name(i)}`, { cluster: 'b' }))
  }
  return out
}

async function underlay(ns: string): Promise<void> {
  await addNetns(ns)
  await sh('ip', '-n', ns, 'link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1')
  await sh('ip', '-n', ns, 'addr', 'add', '198.18.0.1/16', 'dev', 'u0')
  await sh('ip', '-n', ns, 'link', 'set', 'u0', 'up')
  await sh('ip', '-n', ns, 'link', 'set', 'u1', 'up')
}

// The device the agent would make, made untimed for the two limit methods.
async function device(ns: string): Promise<void> {
  await sh(
    'ip',
    '-n',
    ns,
    'link',
    'add',
    DEVICE,
    'mtu',
    '1450',
    'address',
    vtepMacForNode('bench-local'),
    'type',
    'vxlan',
    'id',
    '4096',
    'local',
    '198.18.0.1',
    'dev',
    'u0',
    'dstport',
    '4789',
    'nolearning'
  )
  await sh('ip', '-n', ns, 'link', 'set', DEVICE, 'up')
  await sh('ip', '-n', ns, 'addr', 'add', '198.19.255.255/32', 'dev', DEVICE)
}

function runTool(ns: string, tool: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(tool, ['-n', ns, '-force', '-batch', '-'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    })
    c.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${tool} batch exited ${code}`))
    )
    c.stdin.end(lines.join('\n') + '\n')
  })
}

async function iproute2(ns: string, parallel: boolean): Promise<number> {
  await underlay(ns)
  try {
    await device(ns)
    const fdb: string[] = []
    const ipLines: string[] = []
    for (let i = 0; i < N; i++) {
      const mac = vtepMacForNode(name(i))
      const tunnel = ip4(blockBase(i))
      fdb.push(`fdb replace ${mac} dev ${DEVICE} dst ${nodeIp(i)} self permanent`)
      ipLines.push(`neigh replace ${tunnel} lladdr ${mac} dev ${DEVICE} nud permanent`)
      ipLines.push(
        `route replace ${tunnel}/31 via ${tunnel} dev ${DEVICE} onlink proto ${PROTOCOL}`
      )
    }
    const t0 = performance.now()
    if (parallel) await Promise.all([runTool(ns, 'bridge', fdb), runTool(ns, 'ip', ipLines)])
    else {
      await runTool(ns, 'bridge', fdb)
      await runTool(ns, 'ip', ipLines)
    }
    return performance.now() - t0
  } finally {
    await delNetns(ns)
  }
}

async function netlinkBatch(ns: string, dir: string): Promise<number> {
  await underlay(ns)
  try {
    await device(ns)
    const file = join(dir, 'entries.json')
    const entries = Array.from({ length: N }, (_, i) => {
      const tunnel = ip4(blockBase(i))
      return [vtepMacForNode(name(i)), nodeIp(i), tunnel, `${tunnel}/31`]
    })
    await writeFile(file, JSON.stringify({ device: DEVICE, protocol: PROTOCOL, entries }))
    const script = fileURLToPath(new URL('./netlink-batch.ts', import.meta.url))
    const out = await sh(
      'ip',
      'netns',
      'exec',
      ns,
      process.execPath,
      '--conditions=source',
      '--import',
      'tsx',
      script,
      file
    )
    const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      ms: number
      acks: number
      errors: number
      firstError: string
    }
    if (r.errors > 0 || r.acks !== 3 * N) throw new Error(`netlink batch: ${JSON.stringify(r)}`)
    return r.ms
  } finally {
    await delNetns(ns)
  }
}

interface AgentRun {
  readonly ms: number
  readonly agent: NetnsAgent
}

async function agentRun(ns: string, all: KVUpdate[]): Promise<AgentRun> {
  await underlay(ns)
  const agent = await NetnsAgent.spawn(ns, 'bench-local')
  try {
    const idle = agent.next((e) => e.type === 'applied' || e.type === 'error', 60_000)
    agent.send({ type: 'gate', open: true })
    await idle
    const applied = agent.next(
      (e) => e.type === 'error' || (e.type === 'applied' && e.sinceUpdateMs !== undefined),
      300_000
    )
    agent.send({ type: 'updates', updates: all })
    const first = await applied
    if (
      first.type !== 'applied' ||
      (first.changes ?? 0) < 3 * N ||
      first.sinceUpdateMs === undefined
    )
      throw new Error(`initial programming failed: ${JSON.stringify(first)}`)
    return { ms: first.sinceUpdateMs, agent }
  } catch (err) {
    await agent.kill()
    await delNetns(ns)
    throw err
  }
}

// Incremental: move one VTEP's underlay IP per change (one FDB replace each).
async function incremental(
  agent: NetnsAgent
): Promise<{ lat: number[]; modes: Map<string, number> }> {
  const lat: number[] = []
  const modes = new Map<string, number>()
  const moved = new Set<number>()
  for (let k = 0; k < CHANGES; k++) {
    const i = (k * 7919) % N
    if (moved.has(i)) moved.delete(i)
    else moved.add(i)
    const u = nodeUpdate(
      name(i),
      { cluster: 'b', ip: `${nodeIp(i, moved.has(i))}/16`, tunnel: ip4(blockBase(i)) },
      String(k + 2)
    )
    const done = agent.next(
      (e) => (e.type === 'applied' && (e.changes ?? 0) > 0) || e.type === 'error',
      10_000
    )
    agent.send({ type: 'updates', updates: [u] })
    const e = await done
    if (e.type !== 'applied') throw new Error(`incremental change failed: ${e.message ?? ''}`)
    if (e.sinceUpdateMs === undefined)
      throw new Error(`applied without the update: ${JSON.stringify(e)}`)
    lat.push(e.sinceUpdateMs)
    modes.set(e.mode ?? '?', (modes.get(e.mode ?? '?') ?? 0) + 1)
  }
  return { lat, modes }
}

async function main(): Promise<void> {
  const ns = (what: string): string => `ct-bench-vxlan-${process.pid}-${what}`
  const dir = await mkdtemp(join(tmpdir(), 'ct-bench-vxlan-'))
  const entries = 3 * N
  const all = updates()
  let inc: { lat: number[]; modes: Map<string, number> } | undefined
  try {
    // Sequential vs parallel iproute2, once, to pick the faster way for the repetitions.
    const seqMs = await iproute2(ns('seq'), false)
    const parMs = await iproute2(ns('par'), true)
    const parallel = parMs <= seqMs
    const runs = await alternate<number>(REPS, [
      {
        name: 'agent',
        run: async (rep) => {
          const r = await agentRun(ns('agent'), all)
          try {
            if (rep === 0) inc = await incremental(r.agent)
          } finally {
            await r.agent.kill()
            await delNetns(ns('agent'))
          }
          return r.ms
        },
      },
      { name: 'iproute2', run: () => iproute2(ns('batch'), parallel) },
      { name: 'netlink', run: () => netlinkBatch(ns('netlink'), dir) },
    ])
    const agentMs = runs.get('agent')!
    const ipMs = runs.get('iproute2')!
    const nlMs = runs.get('netlink')!
    const limitMs = agentMs.map((_, r) => Math.min(ipMs[r]!, nlMs[r]!))
    const ratios = agentMs.map((a, r) => limitMs[r]! / a)
    const ratio = summarize(ratios)
    const lat = [...(inc?.lat ?? [])].sort((a, b) => a - b)
    const rate = (ms: number): number => Math.round(entries / (ms / 1000))
    const sA = summarize(agentMs)
    const sI = summarize(ipMs)
    const sN = summarize(nlMs)
    const sL = summarize(limitMs)
    printTable(`vxlan dataplane benchmark${QUICK ? ' (--quick)' : ''}`, [
      ['vteps / entries (FDB + ARP + onlink route each)', `${N} / ${entries}`],
      [
        'iproute2 sequential / parallel (once)',
        `${r2(seqMs)} / ${r2(parMs)} ms → ${parallel ? 'parallel' : 'sequential'}`,
      ],
      [`agent: update line → kernel programmed`, fmtSummary(sA, ' ms')],
      ['iproute2 batch', fmtSummary(sI, ' ms')],
      ['netlink raw batch', fmtSummary(sN, ' ms')],
      ['limit (faster of the two, per repetition)', fmtSummary(sL, ' ms')],
      ['agent rate / limit rate (per repetition)', fmtSummary(ratio, '', 3)],
      [
        `incremental change (n=${lat.length})`,
        `p50 ${r2(percentile(lat, 50))} ms, p99 ${r2(percentile(lat, 99))} ms, modes ${JSON.stringify(Object.fromEntries(inc?.modes ?? []))}`,
      ],
    ])
    finish(
      'vxlan',
      {
        vteps: N,
        reps: REPS,
        agent_ms: r2(sA.median),
        iproute2_ms: r2(sI.median),
        netlink_ms: r2(sN.median),
        agent_entries_per_s: rate(sA.median),
        limit_entries_per_s: rate(sL.median),
        ratio_to_limit: r2(ratio.median),
        ratio_to_limit_min: r2(ratio.min),
        ratio_to_limit_max: r2(ratio.max),
        incremental_p50_ms: r2(percentile(lat, 50)),
        incremental_p99_ms: r2(percentile(lat, 99)),
      },
      TARGETS,
      QUICK
    )
  } finally {
    for (const w of ['seq', 'par', 'agent', 'batch', 'netlink']) await delNetns(ns(w))
    await rm(dir, { recursive: true, force: true })
  }
}

runBench(main)

/**
 * VXLAN dataplane benchmark (root): N remote VTEPs with one IPAM block each are programmed into a
 * fresh network namespace by the agent's production dataplane (running in a child inside the
 * netns), compared with a plain `bridge -batch` + `ip -batch` of the same 3·N entries (FDB, ARP,
 * onlink routes) into another fresh netns: the tool limit. Then the latency of one incremental
 * VTEP change (a node's underlay IP moves: one FDB replace) is measured over `--changes` changes,
 * from the agent (the in-netns child) receiving the update line to the kernel being programmed,
 * timestamped inside the child; the round trip through the JSON-line pipes is printed beside it.
 *
 * Usage: npm run bench -- vxlan [--quick] [--vteps N] [--changes N]
 * Ends with ONE JSON line:
 *   {"bench":"vxlan","vteps":…,"agent_entries_per_s":…,"batch_entries_per_s":…,"ratio_to_limit":…,
 *    "incremental_p50_ms":…,"incremental_p99_ms":…}
 * Addresses: underlay 198.18.0.0/16 inside the netns, pod blocks (/30) from 198.19.0.0/16.
 */
import { parseArgs } from 'node:util'
import type { KVUpdate } from '@cattail/model'
import { blockUpdate, nodeUpdate, poolUpdate } from '@cattail/agent/testing'
import { vtepMacForNode } from '@cattail/agent'
import { NetnsAgent, addNetns, delNetns, isRoot, sh } from '@cattail/agent/testing'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    vteps: { type: 'string' },
    changes: { type: 'string', default: '100' },
  },
})
const N = Number(values.vteps ?? (values.quick ? 500 : 10_000))
const CHANGES = Number(values.changes)
if (!isRoot()) {
  console.error('vxlan bench needs root (network namespaces)')
  process.exit(2)
}
if (N > 16_000) throw new Error('at most 16000 VTEPs fit in 198.19.0.0/16 with /30 blocks')

const ip4 = (n: number): string =>
  `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
const UNDERLAY = (198 << 24) | (18 << 16)
const PODS = ((198 << 24) | (19 << 16)) >>> 0
const nodeIp = (i: number, moved = 0): string => ip4((UNDERLAY + 2 + i + moved * 20_000) >>> 0)
const blockBase = (i: number): number => (PODS + i * 4) >>> 0
const name = (i: number): string => `vtep-${i}`

function updates(): KVUpdate[] {
  const out: KVUpdate[] = [
    nodeUpdate('bench-local', { ip: '198.18.0.1/16', tunnel: '198.19.255.253' }),
    poolUpdate('default', '198.19.0.0/16', { cluster: 'b' }),
  ]
  for (let i = 0; i < N; i++) {
    out.push(
      nodeUpdate(name(i), { cluster: 'b', ip: `${nodeIp(i)}/16`, tunnel: ip4(blockBase(i)) })
    )
    out.push(blockUpdate(`${ip4(blockBase(i))}/30`, `host:b/${name(i)}`, { cluster: 'b' }))
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

async function batchBaseline(ns: string, parallel: boolean): Promise<number> {
  await underlay(ns)
  await sh(
    'ip',
    '-n',
    ns,
    'link',
    'add',
    'vxlan.calico',
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
  await sh('ip', '-n', ns, 'link', 'set', 'vxlan.calico', 'up')
  await sh('ip', '-n', ns, 'addr', 'add', '198.19.255.253/32', 'dev', 'vxlan.calico')
  const fdb: string[] = []
  const ipLines: string[] = []
  for (let i = 0; i < N; i++) {
    const mac = vtepMacForNode(name(i))
    const tunnel = ip4(blockBase(i))
    fdb.push(`fdb replace ${mac} dev vxlan.calico dst ${nodeIp(i)} self permanent`)
    ipLines.push(`neigh replace ${tunnel} lladdr ${mac} dev vxlan.calico nud permanent`)
    ipLines.push(`route add ${tunnel}/30 via ${tunnel} dev vxlan.calico onlink proto 80`)
  }
  const { spawn } = await import('node:child_process')
  const run = (tool: string, lines: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const c = spawn(tool, ['-n', ns, '-force', '-batch', '-'], {
        stdio: ['pipe', 'ignore', 'inherit'],
      })
      c.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${tool} batch exited ${code}`))
      )
      c.stdin.end(lines.join('\n') + '\n')
    })
  const t0 = performance.now()
  if (parallel) await Promise.all([run('bridge', fdb), run('ip', ipLines)])
  else {
    await run('bridge', fdb)
    await run('ip', ipLines)
  }
  const ms = performance.now() - t0
  await delNetns(ns)
  return ms
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN
}
const r2 = (x: number): number => Math.round(x * 100) / 100

const nsAgent = `ct-bench-vxlan-${process.pid}-agent`
const nsBatch = `ct-bench-vxlan-${process.pid}-batch`
let agent: NetnsAgent | undefined
try {
  const entries = 3 * N
  // The tool limit: best of sequential and parallel plain batches (each into a fresh netns).
  const seqMs = await batchBaseline(nsBatch, false)
  const parMs = await batchBaseline(nsBatch, true)
  const batchMs = Math.min(seqMs, parMs)

  await underlay(nsAgent)
  agent = await NetnsAgent.spawn(nsAgent, 'bench-local')
  const all = updates()
  await agent.deliver(all)
  const c0 = agent.cycles
  const t0 = performance.now()
  const applied = agent.next((e) => e.type === 'applied' || e.type === 'error', 120_000)
  agent.send({ type: 'gate', open: true })
  const first = await applied
  const agentMs = performance.now() - t0
  if (first.type !== 'applied' || first.changes === undefined || first.changes < entries) {
    throw new Error(`initial programming failed: ${JSON.stringify(first)} (cycles before: ${c0})`)
  }

  // Incremental: move one VTEP's underlay IP per change (one FDB replace each).
  const lat: number[] = []
  const rtt: number[] = []
  const modes = new Map<string, number>()
  for (let k = 0; k < CHANGES; k++) {
    const i = (k * 7919) % N
    const u = nodeUpdate(
      name(i),
      { cluster: 'b', ip: `${nodeIp(i, 1 + (k % 2))}/16`, tunnel: ip4(blockBase(i)) },
      String(k + 2)
    )
    const done = agent.next(
      (e) => (e.type === 'applied' && (e.changes ?? 0) > 0) || e.type === 'error',
      10_000
    )
    const s = performance.now()
    agent.send({ type: 'updates', updates: [u] })
    const e = await done
    rtt.push(performance.now() - s)
    if (e.type !== 'applied') throw new Error(`incremental change failed: ${e.message ?? ''}`)
    if (e.sinceUpdateMs === undefined)
      throw new Error(`applied without the update: ${JSON.stringify(e)}`)
    lat.push(e.sinceUpdateMs)
    modes.set(e.mode ?? '?', (modes.get(e.mode ?? '?') ?? 0) + 1)
  }

  const agentRate = entries / (agentMs / 1000)
  const batchRate = entries / (batchMs / 1000)
  console.log(`vteps                      ${N} (${entries} entries: FDB + ARP + onlink routes)`)
  console.log(`plain batch, sequential    ${r2(seqMs)} ms`)
  console.log(`plain batch, parallel      ${r2(parMs)} ms`)
  console.log(
    `agent (calc+device+dump+diff+batch) ${r2(agentMs)} ms (harness-reported ${r2(first.durationMs ?? NaN)} ms, mode ${first.mode})`
  )
  console.log(
    `incremental change         p50 ${r2(pct(lat, 50))} ms, p99 ${r2(pct(lat, 99))} ms, modes ${JSON.stringify(Object.fromEntries(modes))}`
  )
  console.log(`  incl. pipe round trip     p50 ${r2(pct(rtt, 50))} ms, p99 ${r2(pct(rtt, 99))} ms`)
  console.log(
    JSON.stringify({
      bench: 'vxlan',
      vteps: N,
      agent_entries_per_s: Math.round(agentRate),
      batch_entries_per_s: Math.round(batchRate),
      ratio_to_limit: r2(agentRate / batchRate),
      incremental_p50_ms: r2(pct(lat, 50)),
      incremental_p99_ms: r2(pct(lat, 99)),
    })
  )
} finally {
  await agent?.kill()
  await delNetns(nsAgent)
  await delNetns(nsBatch)
}

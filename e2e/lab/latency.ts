/**
 * End-to-end latency of a remote pod: from its creation in cluster B's etcd to its IP being in an
 * ipset on a node of cluster A and routed over vxlan.calico there.
 *
 * Two small helper processes keep the measurement free of process-spawn costs on the timed path:
 * a writer in the control namespace (one etcd client; writes a pod's IPAM block and endpoint and
 * prints the wall-clock time just before the write) and a watcher in the node's namespace (told the
 * IP first, it polls `ipset test` and `ip route get` and prints the wall-clock time it saw both).
 * Both print `Date.now()` of the same host clock. Pods are created one after another, each in a new
 * /26 block so that every pod also brings a new route.
 */
import { waitFor } from '@cattail/common'
import type { LabProcess } from '@cattail/cli'
import { etcdKeyFor, etcdValueFor } from '@cattail/datastore'
import { e2ePod, ipamBlock, workloadEndpoint, type E2eNode } from './clusters.js'
import type { E2eMesh } from './mesh.js'

const WRITER = `
const { Etcd3 } = require('etcd3')
const url = process.argv.find((a) => a.startsWith('http'))
const client = new Etcd3({ hosts: url })
require('readline').createInterface({ input: process.stdin }).on('line', async (line) => {
  const m = JSON.parse(line)
  const t0 = Date.now()
  try {
    if (m.op === 'put') await Promise.all(m.kvs.map(([k, v]) => client.put(k).value(v)))
    else await Promise.all(m.keys.map((k) => client.delete().key(k)))
    console.log('done ' + m.id + ' ' + t0)
  } catch (e) {
    console.log('failed ' + m.id + ' ' + String(e))
  }
})
console.log('writer ready')
`

const WATCHER = `
const { spawnSync } = require('child_process')
const set = process.argv[process.argv.length - 1]
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const ip = line.trim()
  console.log('armed ' + ip)
  const start = Date.now()
  for (;;) {
    const inSet = set === '-' || spawnSync('ipset', ['test', set, ip]).status === 0
    const routed = inSet && String(spawnSync('ip', ['route', 'get', ip]).stdout).includes('vxlan.calico')
    if (inSet && routed) { console.log('found ' + ip + ' ' + Date.now()); break }
    if (Date.now() - start > 10000) { console.log('timeout ' + ip); break }
  }
})
console.log('watcher ready')
`

/** Latency figures in ms. */
export interface LatencyResult {
  readonly samples: readonly number[]
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/**
 * Creates `count` remote pods in cluster B (on `remoteNode`, labelled `labels`) one by one and
 * measures, on `localNode`, the time until each is in `ipset` (`-`: skip the ipset check) and routed.
 * Removes the pods and blocks it created afterwards.
 */
export async function measureRemotePodLatency(
  mesh: E2eMesh,
  o: {
    readonly count: number
    readonly etcdUrl: string
    readonly remoteNode: E2eNode
    readonly localNode: E2eNode
    readonly ipset: string
    readonly labels: Readonly<Record<string, string>>
  }
): Promise<LatencyResult> {
  const writer = mesh.lab.start('latency-writer', mesh.ctl, [
    process.execPath,
    '-e',
    WRITER,
    o.etcdUrl,
  ])
  const watcher = mesh.lab.start('latency-watcher', mesh.nodeNs(o.localNode), [
    process.execPath,
    '-e',
    WATCHER,
    o.ipset,
  ])
  const keys: string[] = []
  try {
    await mesh.lab.waitForLog(writer.name, 'writer ready', 30_000)
    await mesh.lab.waitForLog(watcher.name, 'watcher ready', 30_000)
    const samples: number[] = []
    for (let i = 0; i < o.count; i++) {
      // blocks 198.19.96.0/26 … inside B's pool, one per pod; the pod is the block's .2
      const base = 96 * 256 + i * 64
      const cidr = `198.19.${Math.floor(base / 256)}.${base % 256}/26`
      const ip = `198.19.${Math.floor((base + 2) / 256)}.${(base + 2) % 256}`
      const pod = e2ePod(`lat${i}`, `latency-${i}`, ip, { ...o.labels })
      const node = { ...o.remoteNode, blockCidr: cidr, tunnelIp: o.remoteNode.tunnelIp }
      const block = ipamBlock(node, [pod])
      const wep = workloadEndpoint(o.remoteNode.name, pod)
      keys.push(etcdKeyFor(block), etcdKeyFor(wep))
      const skipW = watcher.lines.length
      send(watcher, ip)
      await mesh.lab.waitForLog(watcher.name, `armed ${ip}`, 10_000, skipW)
      const skip = writer.lines.length
      send(
        writer,
        JSON.stringify({
          op: 'put',
          id: i,
          kvs: [block, wep].map((r) => [etcdKeyFor(r), etcdValueFor(r)]),
        })
      )
      const done = await mesh.lab.waitForLog(writer.name, `done ${i} `, 10_000, skip)
      const seen = await waitLine(watcher, ip, skipW)
      samples.push(Number(seen.split(' ')[2]) - Number(done.split(' ')[2]))
    }
    const sorted = [...samples].sort((a, b) => a - b)
    const q = (p: number): number =>
      sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
    return { samples, p50: q(0.5), p99: q(0.99), max: sorted[sorted.length - 1]! }
  } finally {
    const skip = writer.lines.length
    send(writer, JSON.stringify({ op: 'del', id: 'cleanup', keys }))
    await mesh.lab.waitForLog(writer.name, 'done cleanup', 10_000, skip).catch(() => undefined)
    await mesh.lab.stop(writer.name)
    await mesh.lab.stop(watcher.name)
  }
}

function send(p: LabProcess, line: string): void {
  p.child.stdin?.write(`${line}\n`)
}

async function waitLine(watcher: LabProcess, ip: string, skip: number): Promise<string> {
  const line = await waitFor(
    () =>
      watcher.lines
        .slice(skip)
        .find((l) => l.startsWith(`found ${ip} `) || l.startsWith(`timeout ${ip}`)),
    { timeoutMs: 15_000, intervalMs: 1, what: `the watcher's verdict on ${ip}` }
  )
  if (line.startsWith('timeout')) throw new Error(`${ip} not in the ipset and routed within 10 s`)
  return line
}

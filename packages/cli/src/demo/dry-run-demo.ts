/**
 * `cattail demo` without root or network namespaces: the same two clusters (west on the file
 * datastore with an RCC for east, east on a real etcd), one cache each and one agent per node, all
 * as real `cattail` processes on 127.0.0.1 ports, but the agents run the dry-run dataplane
 * (`--dry-run true`): they log the `ip`/`bridge` commands they would run (device, FDB, ARP,
 * routes) instead of touching the kernel. No packet crosses (there is no overlay); everything else
 * — the in-sync log lines, `cattail status`, the hot flip of overlayRoutingMode withdrawing the
 * route — is the real thing.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { waitFor } from '@cattail/common'
import { etcdKeyFor, etcdValueFor, toManifest } from '@cattail/datastore'
import type { Resource } from '@cattail/model'
import { cattailArgv } from '../lab/index.js'
import { EAST, WEST, eastRcc } from './scenario.js'

/** The agents' log message for each would-be change (see the agent daemon). */
export const DRY_RUN_MESSAGE = 'dry run: would change the kernel'

interface Proc {
  readonly name: string
  readonly child: ChildProcess
  readonly lines: string[]
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0))
    })
  })

const run = (file: string, args: readonly string[]): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      // `cattail status` exits 1 when something is not in sync: its output is still the answer
      if (err !== null && stdout === '') reject(new Error(`${file}: ${stderr || err.message}`))
      else resolve(stdout)
    })
  })

const manifests = (rs: readonly Resource[]): string =>
  rs.map((r) => stringify(toManifest(r))).join('---\n')

/** The would-be change of a pino line of a dry-run agent, or undefined. */
export function dryRunChange(line: string): string | undefined {
  try {
    const o = JSON.parse(line) as { msg?: string; change?: string }
    return o.msg === DRY_RUN_MESSAGE ? o.change : undefined
  } catch {
    return undefined
  }
}

/** Runs the dry-run walk-through, printing through `say`; removes everything at the end. */
export async function runDryRunDemo(say: (line: string) => void): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'cattail-dry-demo-'))
  const procs: Proc[] = []
  const start = (name: string, argv: readonly string[]): Proc => {
    const [file = process.execPath, ...args] = argv
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const p: Proc = { name, child, lines: [] }
    const onData = (d: Buffer): void => {
      for (const l of d.toString().split('\n')) if (l !== '') p.lines.push(l)
      if (p.lines.length > 5000) p.lines.splice(0, p.lines.length - 5000)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    procs.push(p)
    return p
  }
  const waitLine = async (p: Proc, pred: (l: string) => boolean, what: string): Promise<string> =>
    await waitFor(
      () => {
        const hit = p.lines.find(pred)
        if (hit !== undefined) return hit
        if (p.child.exitCode !== null)
          throw new Error(`${p.name} exited: ${p.lines.slice(-5).join('\n')}`)
        return undefined
      },
      { timeoutMs: 90_000, intervalMs: 50, what }
    )
  try {
    say('dry-run demo: no root or network namespaces needed; agents print kernel changes')
    const [etcdPort, etcdPeer, westPort, eastPort, westHealth, eastHealth] = await Promise.all(
      Array.from({ length: 6 }, () => freePort())
    )
    const etcd = `http://127.0.0.1:${etcdPort}`
    start('etcd', [
      'etcd',
      '--name',
      'east',
      '--data-dir',
      join(work, 'etcd'),
      '--listen-client-urls',
      etcd,
      '--advertise-client-urls',
      etcd,
      '--listen-peer-urls',
      `http://127.0.0.1:${etcdPeer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${etcdPeer}`,
      '--initial-cluster',
      `east=http://127.0.0.1:${etcdPeer}`,
      '--log-level',
      'error',
    ])
    await waitFor(
      () =>
        run('etcdctl', ['--endpoints', etcd, 'endpoint', 'health']).then(
          () => true,
          () => false
        ),
      { timeoutMs: 30_000, intervalMs: 100, what: 'etcd healthy' }
    )
    for (const r of EAST.resources)
      await run('etcdctl', ['--endpoints', etcd, 'put', etcdKeyFor(r), etcdValueFor(r)])
    say(`1. cluster east: etcd at ${etcd} with node ${EAST.node}, block ${EAST.blockCidr}`)
    const westDir = join(work, 'west')
    await mkdir(westDir)
    const westFile = join(westDir, 'west.yaml')
    await writeFile(westFile, manifests([...WEST.resources, eastRcc(etcd, 'Enabled')]))
    say(`2. cluster west: file datastore with node ${WEST.node} and RCC east (overlay Enabled)`)

    const cattail = cattailArgv()
    const common = [
      '--log-level',
      'info',
      '--health-host',
      '127.0.0.1',
      '--metrics-enabled',
      'false',
    ]
    const westCache = start('cache-west', [
      ...cattail,
      'cache',
      '--datastore-type',
      'file',
      '--file-dir',
      westDir,
      '--host',
      '127.0.0.1',
      '--port',
      String(westPort),
      '--health-port',
      String(westHealth),
      ...common,
    ])
    start('cache-east', [
      ...cattail,
      'cache',
      '--datastore-type',
      'etcdv3',
      '--etcd-endpoints',
      etcd,
      '--host',
      '127.0.0.1',
      '--port',
      String(eastPort),
      '--health-port',
      String(eastHealth),
      ...common,
    ])
    const inSync = 'Sending in-sync update for RemoteClusterConfiguration(east)'
    await waitLine(westCache, (l) => l.includes(inSync), 'west cache in sync with east')
    say(`3. cache-west logged: ${inSync}`)

    const agents = [
      [WEST, westPort],
      [EAST, eastPort],
    ] as const
    for (const [c, port] of agents) {
      start(`agent-${c.name}`, [
        ...cattail,
        'agent',
        '--node-name',
        c.node,
        '--cache-addresses',
        `ws://127.0.0.1:${port}`,
        '--dry-run',
        'true',
        '--health-enabled',
        'false',
        ...common,
      ])
    }
    const westAgent = procs.find((p) => p.name === 'agent-west') as Proc
    await waitLine(
      westAgent,
      (l) => dryRunChange(l)?.includes(EAST.blockCidr) === true,
      `west's agent to print its route to ${EAST.blockCidr}`
    )
    for (const p of procs.filter((x) => x.name.startsWith('agent-'))) {
      await waitLine(p, (l) => dryRunChange(l) !== undefined, `${p.name} dry-run output`)
      say(`4. ${p.name} would run:`)
      for (const l of p.lines) {
        const change = dryRunChange(l)
        if (change !== undefined) say(`     ${change}`)
      }
    }
    say('5. cattail status (west cache):')
    const status = await run(cattail[0] ?? process.execPath, [
      ...cattail.slice(1),
      'status',
      '--cache',
      `ws://127.0.0.1:${westPort}`,
      '--status-url',
      `http://127.0.0.1:${westHealth}/status`,
    ])
    for (const l of status.trimEnd().split('\n')) say(`     ${l}`)

    say(
      '6. hot reconfiguration: overlayRoutingMode Enabled → Disabled (file edited, nothing restarted)'
    )
    const seen = westAgent.lines.length
    await writeFile(westFile, manifests([...WEST.resources, eastRcc(etcd, 'Disabled')]))
    const withdrawn = await waitFor(
      () =>
        westAgent.lines
          .slice(seen)
          .map(dryRunChange)
          .find((c) => c?.startsWith(`ip route del ${EAST.blockCidr}`) === true),
      { timeoutMs: 60_000, what: `west's agent to withdraw ${EAST.blockCidr}` }
    )
    say(`     agent-west would run: ${withdrawn}`)
    say('done: stopping processes')
  } finally {
    for (const p of procs.reverse()) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        const exited = new Promise((resolve) => p.child.once('exit', resolve))
        p.child.kill('SIGTERM')
        const t = setTimeout(() => p.child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(t)
      }
    }
    await rm(work, { recursive: true, force: true })
  }
}

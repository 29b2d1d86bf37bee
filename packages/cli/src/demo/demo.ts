/**
 * `cattail demo`: a two-cluster mesh on this machine, in network namespaces (root only; without
 * root, or with `--dry-run`, the same clusters run with dry-run agents: dry-run-demo.ts).
 *
 *   west  local cluster on the embedded file datastore (a folder of YAML manifests)
 *   east  remote cluster on a real etcd; west's RemoteClusterConfiguration "east" points at it
 *
 * One cache per cluster and one agent per node run as real `cattail` processes inside a NetLab
 * (see lab/netlab.ts). The demo shows the log lines operators grep for, `cattail status`, the
 * kernel state west's agent programs (VXLAN device, FDB, ARP, routes to east's pod block), a UDP
 * datagram from west's pod arriving at east's pod with its source address preserved, and a hot
 * flip of overlayRoutingMode that withdraws the routes without restarting anything.
 *
 * Why one way only: east's cache could mesh west back only if west's datastore were readable
 * remotely (etcdv3 or Kubernetes); the file datastore is local by design. The e2e tests run the
 * symmetric two-etcd mesh with TCP in both directions.
 */
import { Command, Option } from 'commander'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { waitFor } from '@cattail/common'
import { toManifest } from '@cattail/datastore'
import type { Resource } from '@cattail/model'
import { cattailArgv, LAB_CONTROL_IP, MeshLab } from '../lab/index.js'
import { runDryRunDemo } from './dry-run-demo.js'
import { EAST, WEST, eastRcc } from './scenario.js'

/** Where the demo's processes listen (inside the lab's control namespace). */
const ETCD = 'http://127.0.0.1:2379'
const WEST_CACHE = `ws://${LAB_CONTROL_IP}:5473`
const EAST_CACHE = `ws://${LAB_CONTROL_IP}:5474`

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Keep everything running until SIGINT/SIGTERM after the walk-through. */
  readonly hold: boolean
  /** Write progress here. */
  readonly out: (line: string) => void
}

const manifests = (rs: readonly Resource[]): string =>
  rs.map((r) => stringify(toManifest(r))).join('---\n')

/** Prints the `msg` (and remote) of a pino JSON line. */
function logMsg(line: string): string {
  try {
    const o = JSON.parse(line) as { msg?: string; remote?: string }
    return o.msg ?? line
  } catch {
    return line
  }
}

/** Runs the walk-through; resolves when done (everything removed again). */
export async function runDemo(opts: DemoOptions): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error('the demo builds network namespaces and VXLAN devices: run it as root')
  }
  const say = opts.out
  const work = await mkdtemp(join(tmpdir(), 'cattail-demo-'))
  const lab = await MeshLab.create(`ctdemo${process.pid % 100000}`, [WEST.lab, EAST.lab])
  const cleanup = async (): Promise<void> => {
    await lab.destroy()
    await rm(work, { recursive: true, force: true })
  }
  const onSignal = (): void => {
    void cleanup().then(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const ctl = lab.net.controlNs
    const w = lab.net.nodeNs(WEST.lab.id)
    say(
      `1. network lab: control ${ctl} (${LAB_CONTROL_IP}), node ${w} (${WEST.lab.nodeIp}), node ${lab.net.nodeNs(EAST.lab.id)} (${EAST.lab.nodeIp})`
    )

    // east: a real etcd in the control namespace, holding east's objects in Calico's layout
    await lab.startEtcd('etcd', ETCD, join(work, 'etcd'))
    await lab.etcdPut(ETCD, EAST.resources)
    say(
      `2. cluster east: etcd at ${ETCD} with node ${EAST.node}, pool ${EAST.poolCidr}, block ${EAST.blockCidr}, pod ${EAST.podName} ${EAST.lab.podIp}`
    )

    // west: the embedded file datastore, including the RCC for east
    const westDir = join(work, 'west')
    await mkdir(westDir)
    const westFile = join(westDir, 'west.yaml')
    await writeFile(westFile, manifests([...WEST.resources, eastRcc(ETCD, 'Enabled')]))
    say(
      `3. cluster west: file datastore ${westDir} with node ${WEST.node}, pool ${WEST.poolCidr}, pod ${WEST.podName} ${WEST.lab.podIp}, RemoteClusterConfiguration east (overlayRoutingMode: Enabled)`
    )

    const common = [
      '--log-level',
      'info',
      '--health-host',
      '127.0.0.1',
      '--metrics-host',
      '127.0.0.1',
      '--shutdown-timeout-ms',
      '1000',
    ]
    lab.startCattail('cache-west', ctl, [
      'cache',
      '--datastore-type',
      'file',
      '--file-dir',
      westDir,
      '--host',
      LAB_CONTROL_IP,
      '--port',
      '5473',
      '--health-port',
      '9098',
      '--metrics-port',
      '9093',
      ...common,
    ])
    lab.startCattail('cache-east', ctl, [
      'cache',
      '--datastore-type',
      'etcdv3',
      '--etcd-endpoints',
      ETCD,
      '--host',
      LAB_CONTROL_IP,
      '--port',
      '5474',
      '--health-port',
      '9198',
      '--metrics-port',
      '9193',
      ...common,
    ])
    for (const text of [
      'Creating syncer for RemoteClusterConfiguration(east)',
      'Sending in-sync update for RemoteClusterConfiguration(east)',
    ]) {
      say(`4. cache-west logged: ${logMsg(await lab.waitForLog('cache-west', text))}`)
    }

    const agentArgs = (node: string, cache: string): string[] => [
      'agent',
      '--node-name',
      node,
      '--cache-addresses',
      cache,
      '--log-level',
      'info',
      '--metrics-host',
      '127.0.0.1',
    ]
    lab.startCattail('agent-west', w, agentArgs(WEST.node, WEST_CACHE))
    // The demo mesh is one-way: east has no RemoteClusterConfiguration for west (west's datastore
    // is a local folder), so east does not know west's VTEP, and its VXLAN source allow-list
    // (policy) would rightly drop west's packets. A real mesh has RCCs both ways (e2e/ runs one).
    say(
      '   (east runs its agent with --policy false: this one-way demo gives east no RCC for west,'
    )
    say(
      "    so east's VXLAN source allow-list would drop west's packets; real meshes go both ways)"
    )
    lab.startCattail('agent-east', lab.net.nodeNs(EAST.lab.id), [
      ...agentArgs(EAST.node, EAST_CACHE),
      '--policy',
      'false',
    ])
    await waitFor(
      async () =>
        (await lab.net.exec(w, 'ip', 'route', 'show', EAST.blockCidr)).includes('vxlan.calico'),
      {
        timeoutMs: 60_000,
        what: `west's agent to route ${EAST.blockCidr}`,
      }
    )
    await waitFor(
      async () =>
        (
          await lab.net
            .exec(lab.net.nodeNs(EAST.lab.id), 'ip', 'addr', 'show', 'dev', 'vxlan.calico')
            .catch(() => '')
        ).includes(EAST.tunnelIp),
      {
        timeoutMs: 60_000,
        what: "east's agent to create its VXLAN device",
      }
    )

    say('5. `cattail status` against cache-west:')
    const status = await lab.net.exec(
      ctl,
      ...cattailArgv(),
      'status',
      '--cache',
      WEST_CACHE,
      '--timeout-ms',
      '10000'
    )
    for (const l of status.trimEnd().split('\n')) say(`     ${l}`)

    say(`6. kernel state west's agent programmed in ${w}:`)
    const show: readonly [readonly string[], (l: string) => boolean][] = [
      [['ip', '-d', 'link', 'show', 'vxlan.calico'], (l) => /vxlan id|link\/ether/.test(l)],
      [['ip', '-4', 'addr', 'show', 'dev', 'vxlan.calico'], (l) => l.includes('inet ')],
      [['bridge', 'fdb', 'show', 'dev', 'vxlan.calico'], () => true],
      [['ip', 'neigh', 'show', 'dev', 'vxlan.calico'], () => true],
      [['ip', 'route', 'show', 'proto', '80'], () => true],
    ]
    for (const [cmd, keep] of show) {
      const outp = (await lab.net.exec(w, ...cmd)).trim()
      say(`     $ ${cmd.join(' ')}`)
      for (const l of outp.split('\n').filter((x) => x.trim() !== '' && keep(x)))
        say(`       ${l.trim()}`)
    }

    say(`7. UDP from west pod ${WEST.lab.podIp} to east pod ${EAST.lab.podIp}:7000 over VXLAN:`)
    const receiver = lab.start('udp-server', lab.net.podNs(EAST.lab.id), [
      process.execPath,
      '-e',
      "const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>{console.log('received '+JSON.stringify(String(m))+' from '+r.address+':'+r.port);s.close()});s.bind(7000,()=>console.log('listening'))",
    ])
    await lab.waitForLog('udp-server', 'listening', 10_000)
    const sender = lab.start('udp-client', lab.net.podNs(WEST.lab.id), [
      process.execPath,
      '-e',
      `const s=require('dgram').createSocket('udp4');let n=0;const t=setInterval(()=>{s.send('hello from west',7000,'${EAST.lab.podIp}');if(++n>=50){clearInterval(t);s.close()}},100)`,
    ])
    const got = await lab.waitForLog(receiver.name, 'received', 10_000)
    say(`     east pod: ${got}  (source address preserved: no NAT inside the mesh)`)
    await lab.stop(sender.name)

    say(
      '8. hot reconfiguration: overlayRoutingMode Enabled → Disabled (file edited, nothing restarted)'
    )
    await writeFile(westFile, manifests([...WEST.resources, eastRcc(ETCD, 'Disabled')]))
    await waitFor(
      async () =>
        !(await lab.net.exec(w, 'ip', 'route', 'show', EAST.blockCidr)).includes('vxlan.calico'),
      {
        timeoutMs: 60_000,
        what: `west's agent to withdraw ${EAST.blockCidr}`,
      }
    )
    const after = await lab.net.exec(
      ctl,
      ...cattailArgv(),
      'status',
      '--cache',
      WEST_CACHE,
      '--timeout-ms',
      '10000'
    )
    say(`     route to ${EAST.blockCidr} withdrawn; east's endpoints stay (they always sync):`)
    for (const l of after.trimEnd().split('\n')) say(`     ${l}`)

    if (opts.hold) {
      say(`9. holding: namespaces ${lab.net.prefix}-* stay up until Ctrl-C`)
      await new Promise<void>(() => undefined)
    }
    say('done: removing namespaces and processes')
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await cleanup()
  }
}

/** Builds the `demo` command. */
export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'Run a two-cluster mesh on this machine in network namespaces (root): west on the embedded file datastore, east on etcd; shows statuses, kernel state, a packet crossing VXLAN and a hot reconfiguration.'
    )
    .addOption(new Option('--hold', 'keep the lab running until Ctrl-C after the walk-through'))
    .addOption(
      new Option(
        '--dry-run',
        'no root or network namespaces: agents print the kernel changes instead (the default when not root)'
      )
    )
    .action(async (o: { hold?: boolean; dryRun?: boolean }) => {
      const out = (l: string): void => {
        process.stdout.write(l + '\n')
      }
      if (o.dryRun === true || process.getuid?.() !== 0) await runDryRunDemo(out)
      else await runDemo({ hold: o.hold === true, out })
    })
}

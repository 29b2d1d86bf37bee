/**
 * Root tests in network namespaces: two "nodes" (netns) joined by a veth underlay
 * (198.18.0.0/24), each running the production VXLAN dataplane in a child process inside its
 * netns, fed KVUpdates. Node `a-node1` is in cluster A, `b-node1` in cluster B; each sees the
 * other as a remote cluster (`b/…`, `a/…`). Pod addresses (198.19.x.y) sit on veth ends inside
 * the node namespaces.
 */
import { strict as assert } from 'node:assert'
import { after, before, describe, it } from 'node:test'
import type { KVUpdate } from '@cattail/model'
import { vtepMacForNode } from '../calc/mac.js'
import { blockUpdate, deleteUpdate, nodeUpdate, poolUpdate } from '../testing/calc-fixtures.js'
import {
  NetnsAgent,
  NetnsMonitor,
  addNetns,
  delNetns,
  isRoot,
  nsJson,
  sh,
} from '../testing/netns.js'

const skip = isRoot() ? false : 'needs root (network namespaces)'
const NS_A = `ct-agent-${process.pid}-a`
const NS_B = `ct-agent-${process.pid}-b`
const DEV = 'vxlan.calico'

/** What cluster A's agent on a-node1 sees. */
const viewA: KVUpdate[] = [
  nodeUpdate('a-node1', { ip: '198.18.0.1/24', tunnel: '198.19.0.1' }),
  poolUpdate('default', '198.19.0.0/18'),
  blockUpdate('198.19.0.0/26', 'host:a-node1'),
  nodeUpdate('b-node1', { cluster: 'b', ip: '198.18.0.2/24', tunnel: '198.19.64.1' }),
  poolUpdate('default', '198.19.64.0/18', { cluster: 'b' }),
  blockUpdate('198.19.64.0/26', 'host:b/b-node1', { cluster: 'b' }),
]
/** What cluster B's agent on b-node1 sees. */
const viewB: KVUpdate[] = [
  nodeUpdate('b-node1', { ip: '198.18.0.2/24', tunnel: '198.19.64.1' }),
  poolUpdate('default', '198.19.64.0/18'),
  blockUpdate('198.19.64.0/26', 'host:b-node1'),
  nodeUpdate('a-node1', { cluster: 'a', ip: '198.18.0.1/24', tunnel: '198.19.0.1' }),
  poolUpdate('default', '198.19.0.0/18', { cluster: 'a' }),
  blockUpdate('198.19.0.0/26', 'host:a/a-node1', { cluster: 'a' }),
]
/** A third node of cluster C, known only to A. */
const nodeC: KVUpdate[] = [
  nodeUpdate('c-node1', { cluster: 'c', ip: '198.18.0.3/24', tunnel: '198.19.128.1' }),
  poolUpdate('default', '198.19.128.0/18', { cluster: 'c' }),
  blockUpdate('198.19.128.0/26', 'host:c/c-node1', { cluster: 'c' }),
]

interface RouteJson {
  dst: string
  gateway?: string
  dev?: string
  protocol?: string
  type?: string
  flags?: string[]
}
const routesOf = async (ns: string): Promise<RouteJson[]> =>
  nsJson<RouteJson>(ns, 'ip', '-4', 'route', 'show', 'table', 'main')

async function tcpRoundTrip(
  fromNs: string,
  from: string,
  toNs: string,
  to: string
): Promise<string> {
  const port = 7000 + (process.pid % 1000)
  const server = `const s=require('net').createServer(c=>{c.on('data',d=>{c.end('pong:'+d)})});s.listen(${port},'${to}',()=>console.log('listening'));setTimeout(()=>process.exit(2),15000)`
  const { spawn } = await import('node:child_process')
  const srv = spawn('ip', ['netns', 'exec', toNs, process.execPath, '-e', server], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  try {
    await new Promise<void>((resolve, reject) => {
      srv.stdout.once('data', () => resolve())
      srv.once('exit', (c) => reject(new Error(`server exited ${c}`)))
    })
    const client = `const c=require('net').connect({host:'${to}',port:${port},localAddress:'${from}'},()=>c.write('ping'));let b='';c.on('data',d=>b+=d);c.on('end',()=>{console.log(b);process.exit(0)});c.on('error',e=>{console.error(e.message);process.exit(1)});setTimeout(()=>process.exit(3),10000)`
    return (await sh('ip', 'netns', 'exec', fromNs, process.execPath, '-e', client)).trim()
  } finally {
    srv.kill('SIGKILL')
  }
}

void describe('vxlan dataplane in network namespaces', { skip }, () => {
  let agentA: NetnsAgent | undefined
  let agentB: NetnsAgent | undefined

  before(async () => {
    await addNetns(NS_A)
    await addNetns(NS_B)
    // No IPv6 in these namespaces: link-local DAD finishing seconds after a device appears would
    // show up in the kernel-change monitor without being a change of ours.
    for (const ns of [NS_A, NS_B]) {
      for (const k of ['all', 'default']) {
        await sh('ip', 'netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${k}.disable_ipv6=1`)
      }
    }
    await sh(
      'ip',
      '-n',
      NS_A,
      'link',
      'add',
      'u0',
      'type',
      'veth',
      'peer',
      'name',
      'u1',
      'netns',
      NS_B
    )
    await sh('ip', '-n', NS_A, 'addr', 'add', '198.18.0.1/24', 'dev', 'u0')
    await sh('ip', '-n', NS_B, 'addr', 'add', '198.18.0.2/24', 'dev', 'u1')
    await sh('ip', '-n', NS_A, 'link', 'set', 'u0', 'up')
    await sh('ip', '-n', NS_B, 'link', 'set', 'u1', 'up')
    // Pods: a veth pair inside each node netns, the pod address on one end.
    for (const [ns, addr] of [
      [NS_A, '198.19.0.5/32'],
      [NS_B, '198.19.64.5/32'],
    ] as const) {
      await sh('ip', '-n', ns, 'link', 'add', 'pod0', 'type', 'veth', 'peer', 'name', 'pod1')
      await sh('ip', '-n', ns, 'addr', 'add', addr, 'dev', 'pod0')
      await sh('ip', '-n', ns, 'link', 'set', 'pod0', 'up')
      await sh('ip', '-n', ns, 'link', 'set', 'pod1', 'up')
    }
  })

  after(async () => {
    try {
      await Promise.all([agentA?.kill(), agentB?.kill()])
    } finally {
      await delNetns(NS_A)
      await delNetns(NS_B)
    }
  })

  void it('programs device, FDB, ARP and routes from KVUpdates and TCP crosses the VXLAN (root, netns)', async () => {
    agentA = await NetnsAgent.spawn(NS_A, 'a-node1') // small change sets: netlink
    agentB = await NetnsAgent.spawn(NS_B, 'b-node1', ['--netlink-max-ops', '0']) // always batch
    agentA.send({ type: 'updates', updates: viewA })
    agentB.send({ type: 'updates', updates: viewB })
    agentA.send({ type: 'gate', open: true })
    agentB.send({ type: 'gate', open: true })
    const ea = await agentA.waitApplied(0, (e) => e.status === 'programmed')
    const eb = await agentB.waitApplied(0, (e) => e.status === 'programmed')
    assert.equal(ea.mode, 'netlink')
    assert.equal(eb.mode, 'batch')

    const [link] = await nsJson<{
      address: string
      mtu: number
      flags: string[]
      linkinfo: {
        info_kind: string
        info_data: { id: number; port: number; local: string; link: string; learning: boolean }
      }
    }>(NS_A, 'ip', '-d', 'link', 'show', 'dev', DEV)
    assert.ok(link)
    assert.equal(link.address, vtepMacForNode('a-node1'))
    assert.equal(link.mtu, 1450)
    assert.ok(link.flags.includes('UP'))
    assert.deepEqual(
      { ...link.linkinfo.info_data, kind: link.linkinfo.info_kind },
      {
        ...link.linkinfo.info_data,
        kind: 'vxlan',
        id: 4096,
        port: 4789,
        local: '198.18.0.1',
        link: 'u0',
        learning: false,
      }
    )
    const [addrs] = await nsJson<{ addr_info: { local: string; prefixlen: number }[] }>(
      NS_A,
      'ip',
      '-4',
      'addr',
      'show',
      'dev',
      DEV
    )
    assert.deepEqual(
      addrs?.addr_info.map((a) => `${a.local}/${a.prefixlen}`),
      ['198.19.0.1/32']
    )

    const macB = vtepMacForNode('b-node1')
    const fdb = await nsJson<{ mac: string; dst?: string; state: string }>(
      NS_A,
      'bridge',
      'fdb',
      'show',
      'dev',
      DEV
    )
    assert.deepEqual(
      fdb.filter((e) => e.state === 'permanent').map((e) => [e.mac, e.dst]),
      [[macB, '198.18.0.2']]
    )
    const neigh = await nsJson<{ dst: string; lladdr: string; state: string[] }>(
      NS_A,
      'ip',
      '-4',
      'neigh',
      'show',
      'dev',
      DEV
    )
    assert.deepEqual(
      neigh.map((n) => [n.dst, n.lladdr, n.state[0]]),
      [['198.19.64.1', macB, 'PERMANENT']]
    )
    const routes = await routesOf(NS_A)
    assert.deepEqual(
      routes
        .filter((r) => r.protocol === '80')
        .map((r) => [r.type ?? 'unicast', r.dst, r.gateway, r.dev, r.flags]),
      [
        ['blackhole', '198.19.0.0/26', undefined, undefined, []],
        ['unicast', '198.19.64.0/26', '198.19.64.1', DEV, ['onlink']],
      ]
    )
    assert.equal(await tcpRoundTrip(NS_A, '198.19.0.5', NS_B, '198.19.64.5'), 'pong:ping')
    assert.equal(await tcpRoundTrip(NS_B, '198.19.64.5', NS_A, '198.19.0.5'), 'pong:ping')
  })

  void it('removing a remote node withdraws exactly its entries; foreign routes stay (root, netns)', async () => {
    assert.ok(agentA)
    // Foreign routes: another protocol on another device, and one on the parent via a node.
    await sh('ip', '-n', NS_A, 'route', 'add', '198.19.250.0/24', 'dev', 'pod0', 'proto', 'static')
    await sh('ip', '-n', NS_A, 'route', 'add', '198.19.251.0/24', 'via', '198.18.0.2', 'dev', 'u0')
    // A stale route of OURS on another device (left by an earlier run): removed at the next resync.
    await sh(
      'ip',
      '-n',
      NS_A,
      'route',
      'add',
      '198.19.252.0/24',
      'via',
      '198.18.0.2',
      'dev',
      'u0',
      'proto',
      '80'
    )
    const c0 = agentA.cycles
    agentA.send({ type: 'updates', updates: nodeC })
    await agentA.waitApplied(c0, (e) => (e.changes ?? 0) > 0)
    let routes = await routesOf(NS_A)
    assert.ok(routes.some((r) => r.dst === '198.19.128.0/26' && r.gateway === '198.19.128.1'))
    const c1 = agentA.cycles
    agentA.send({ type: 'updates', updates: [deleteUpdate('c/Node/c-node1')] })
    const e = await agentA.waitApplied(c1, (ev) => (ev.changes ?? 0) > 0)
    assert.equal(e.changes, 3) // its FDB, ARP and route; nothing else
    assert.equal(e.mode, 'netlink')
    routes = await routesOf(NS_A)
    assert.equal(
      routes.some((r) => r.dst === '198.19.128.0/26'),
      false
    )
    const fdb = await nsJson<{ mac: string; state: string }>(
      NS_A,
      'bridge',
      'fdb',
      'show',
      'dev',
      DEV
    )
    assert.deepEqual(
      fdb.filter((x) => x.state === 'permanent').map((x) => x.mac),
      [vtepMacForNode('b-node1')]
    )
    const neigh = await nsJson<{ dst: string }>(
      NS_A,
      'ip',
      '-4',
      'neigh',
      'show',
      'dev',
      DEV,
      'nud',
      'permanent'
    )
    assert.deepEqual(
      neigh.map((n) => n.dst),
      ['198.19.64.1']
    )
    // A full resync removes our stale route and keeps the foreign ones.
    const c2 = agentA.cycles
    agentA.send({ type: 'resync' })
    await agentA.waitApplied(c2, (ev) => ev.resynced === true)
    routes = await routesOf(NS_A)
    const dsts = routes.map((r) => r.dst)
    assert.ok(dsts.includes('198.19.250.0/24'))
    assert.ok(dsts.includes('198.19.251.0/24'))
    assert.ok(!dsts.includes('198.19.252.0/24'))
    assert.ok(dsts.includes('198.19.64.0/26'))
  })

  void it('an agent restart with unchanged state causes zero kernel changes (root, netns)', async () => {
    assert.ok(agentA)
    await agentA.kill() // a crash: nothing is cleaned up on the way out
    const monitor = await NetnsMonitor.start(NS_A)
    try {
      const start = monitor.lines.length - 1
      agentA = await NetnsAgent.spawn(NS_A, 'a-node1')
      agentA.send({ type: 'updates', updates: viewA })
      agentA.send({ type: 'gate', open: true })
      const e = await agentA.waitApplied(0)
      assert.equal(e.status, 'programmed')
      assert.equal(e.resynced, true)
      assert.equal(e.changes, 0)
      const end = await monitor.mark()
      // Kernel-driven events are not changes of ours: reachability transitions of underlay
      // neighbours (REACHABLE → STALE …) and IPv6 link-local address updates (DAD finishing on a
      // veth: `inet6 fe80::…` and its `valid_lft …` continuation line). Everything else would be.
      const ours = monitor
        .between(start, end)
        .filter((l) => !/ (REACHABLE|STALE|DELAY|PROBE|FAILED|INCOMPLETE)\s*$/.test(l))
        .filter((l) => !/^\s+valid_lft /.test(l) && !/ inet6 fe80::/.test(l))
      assert.deepEqual(ours, [])
      assert.equal(await tcpRoundTrip(NS_A, '198.19.0.5', NS_B, '198.19.64.5'), 'pong:ping')
    } finally {
      monitor.stop()
    }
  })

  void it('a drifted device is recreated and fully reprogrammed (root, netns)', async () => {
    assert.ok(agentB)
    await sh('ip', '-n', NS_B, 'link', 'del', DEV)
    const c = agentB.cycles
    agentB.send({ type: 'resync' })
    const e = await agentB.waitApplied(c, (ev) => ev.status === 'programmed')
    assert.ok((e.changes ?? 0) >= 4)
    assert.equal(await tcpRoundTrip(NS_A, '198.19.0.5', NS_B, '198.19.64.5'), 'pong:ping')
  })
})

/**
 * Root tests of the whole agent daemon in one network namespace (netns-daemon-main.ts: real
 * dataplane, real health and metrics ports, updates from the test): a foreign route that blocks
 * one of our destinations is surfaced in the metric, `/readiness` and `/status`; and when our own
 * VTEP disappears (tunnel address removed, Node deleted) the agent removes its device and every
 * route it owns, and programs everything again when the VTEP comes back.
 */
import { strict as assert } from 'node:assert'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@cattail/common/testing'
import type { KVUpdate } from '@cattail/model'
import { blockUpdate, deleteUpdate, nodeUpdate, poolUpdate } from '../testing/calc-fixtures.js'
import { NetnsAgent, addNetns, delNetns, isRoot, nsJson, sh } from '../testing/netns.js'
import type { AgentStatusReport } from '../status.js'

const skip = isRoot() ? false : 'needs root (network namespaces)'
const NS = `ct-hard-${process.pid}`
const DEV = 'vxlan.calico'
const ME = 'n1'

const local = nodeUpdate(ME, { ip: '198.18.0.1/24', tunnel: '198.19.0.1' })
const view: KVUpdate[] = [
  local,
  poolUpdate('default', '198.19.0.0/18'),
  blockUpdate('198.19.0.0/26', `host:${ME}`), // ours: blackhole
  nodeUpdate('n3', { ip: '198.18.0.3/24', tunnel: '198.19.3.1' }),
  blockUpdate('198.19.1.0/26', 'host:n3'), // blocked by a foreign route below
  blockUpdate('198.19.2.0/26', 'host:n3'),
  nodeUpdate('n2', { cluster: 'b', ip: '198.18.0.2/24', tunnel: '198.19.64.1' }),
  poolUpdate('default', '198.19.64.0/18', { cluster: 'b' }),
  blockUpdate('198.19.64.0/26', 'host:b/n2', { cluster: 'b' }),
]

interface RouteJson {
  dst: string
  dev?: string
  protocol?: string
  type?: string
}
const routes = async (): Promise<RouteJson[]> =>
  nsJson<RouteJson>(NS, 'ip', '-N', '-4', 'route', 'show', 'table', 'main')
const hasDevice = async (): Promise<boolean> =>
  (await nsJson<{ ifname: string }>(NS, 'ip', 'link', 'show')).some((l) => l.ifname === DEV)

void describe('agent daemon in a network namespace: blocked routes and cleanup', { skip }, () => {
  let agent: NetnsAgent | undefined
  const status = async (): Promise<AgentStatusReport> => {
    assert.ok(agent)
    const r = await agent.http('health', '/status')
    assert.equal(r.status, 200)
    return JSON.parse(r.body) as AgentStatusReport
  }

  before(async () => {
    await addNetns(NS)
    await sh('ip', '-n', NS, 'link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1')
    await sh('ip', '-n', NS, 'addr', 'add', '198.18.0.1/24', 'dev', 'u0')
    await sh('ip', '-n', NS, 'link', 'set', 'u0', 'up')
    await sh('ip', '-n', NS, 'link', 'set', 'u1', 'up')
    // A foreign route on a destination we want (another protocol, another device).
    await sh('ip', '-n', NS, 'route', 'add', '198.19.1.0/26', 'dev', 'u1', 'proto', 'static')
    agent = await NetnsAgent.spawn(NS, ME, [], 'netns-daemon-main')
    agent.send({ type: 'updates', updates: view })
    agent.send({ type: 'gate', open: true })
  })

  after(async () => {
    try {
      await agent?.kill()
    } finally {
      await delNetns(NS)
    }
  })

  void it('a foreign route on our destination: metric, /readiness detail and /status (root, netns)', async () => {
    assert.ok(agent)
    const s = await waitFor(
      async () => {
        const x = await status()
        return x.dataplane === 'programmed' ? x : undefined
      },
      { timeoutMs: 60_000, what: 'dataplane programmed' }
    )
    assert.deepEqual(s.blockedRoutes, [
      { dst: '198.19.1.0/26', wanted: `via 198.19.3.1 dev ${DEV}` },
    ])
    assert.equal(s.ready, true)
    const ready = await agent.http('health', '/readiness')
    assert.equal(ready.status, 200)
    assert.match(ready.body, /1 destination\(s\) blocked by foreign routes: 198\.19\.1\.0\/26/)
    const metrics = await agent.http('metrics', '/metrics')
    assert.match(metrics.body, /\ncattail_agent_dataplane_blocked_routes 1\n/)
    // The foreign route is untouched; the rest is programmed.
    const rs = await routes()
    assert.ok(rs.some((r) => r.dst === '198.19.1.0/26' && r.dev === 'u1'))
    assert.ok(rs.some((r) => r.dst === '198.19.2.0/26' && r.dev === DEV))
    // Once the foreign route is gone, the next resync takes the destination and clears the report.
    await sh('ip', '-n', NS, 'route', 'del', '198.19.1.0/26', 'dev', 'u1')
    agent.send({ type: 'resync' })
    await waitFor(async () => (await status()).blockedRoutes.length === 0, {
      timeoutMs: 60_000,
      what: 'blocked routes cleared',
    })
    assert.ok((await routes()).some((r) => r.dst === '198.19.1.0/26' && r.dev === DEV))
    assert.match(
      (await agent.http('metrics', '/metrics')).body,
      /\ncattail_agent_dataplane_blocked_routes 0\n/
    )
  })

  void it('our VTEP disappears: device, FDB/ARP and every route of ours go; they come back with it (root, netns)', async () => {
    assert.ok(agent)
    // A stale route of ours on another device (an earlier run): it goes too.
    await sh('ip', '-n', NS, 'route', 'add', '198.19.9.0/26', 'dev', 'u0', 'proto', '80')
    const ours = (rs: RouteJson[]): RouteJson[] =>
      rs.filter((r) => r.protocol === '80' || r.dev === DEV)
    assert.ok(ours(await routes()).some((r) => r.type === '6')) // our blackhole (RTN_BLACKHOLE)
    const cleaned = async (): Promise<boolean> =>
      (await status()).dataplane === 'waiting' &&
      !(await hasDevice()) &&
      ours(await routes()).length === 0
    // VXLAN disabled on this node: our Node loses its tunnel address.
    agent.send({ type: 'updates', updates: [nodeUpdate(ME, { ip: '198.18.0.1/24' }, '2')] })
    await waitFor(cleaned, { timeoutMs: 60_000, what: 'device and our routes removed' })
    assert.equal((await agent.http('health', '/readiness')).status, 503)
    // The tunnel address comes back: everything is programmed again.
    agent.send({ type: 'updates', updates: [{ ...local, revision: '3' }] })
    await waitFor(async () => (await status()).dataplane === 'programmed', {
      timeoutMs: 60_000,
      what: 'programmed again',
    })
    assert.ok(await hasDevice())
    const fdb = await nsJson<{ state?: string }>(NS, 'bridge', 'fdb', 'show', 'dev', DEV)
    assert.equal(fdb.filter((f) => f.state === 'permanent').length, 2)
    assert.ok((await routes()).some((r) => r.dst === '198.19.64.0/26' && r.dev === DEV))
    // Our Node is deleted.
    agent.send({ type: 'updates', updates: [deleteUpdate(`Node/${ME}`, '4')] })
    await waitFor(cleaned, { timeoutMs: 60_000, what: 'cleaned after Node deletion' })
    // The foreign-looking routes of others were never touched.
    assert.ok((await routes()).some((r) => r.dst === '198.18.0.0/24' && r.dev === 'u0'))
  })
})

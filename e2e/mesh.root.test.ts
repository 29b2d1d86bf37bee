/**
 * End-to-end: two clusters, both on real etcd, meshed both ways (west's RCC "east" and east's RCC
 * "west", overlayRoutingMode Enabled), one cattail cache per cluster and one cattail agent per
 * node, all as real processes inside network namespaces (root). Proves that pods reach each other
 * by IP over VXLAN in both directions, that remote statuses reach InSync, and that a dead remote
 * datastore leaves the dataplane in place (fail-static) and recovers.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@cattail/common'
import { cattailArgv, EAST, etcdRcc, LAB_CONTROL_IP, MeshLab, WEST } from '@cattail/cli'

const isRoot = process.getuid?.() === 0
const ETCD = { west: 'http://127.0.0.1:2379', east: 'http://127.0.0.1:2479' }
const CACHE = { west: `ws://${LAB_CONTROL_IP}:5473`, east: `ws://${LAB_CONTROL_IP}:5474` }

describe(
  'two-cluster mesh over VXLAN (root, netns, etcd)',
  { skip: isRoot ? false : 'needs root for network namespaces' },
  () => {
    let lab: MeshLab
    let work: string

    const startEtcd = (name: 'west' | 'east'): Promise<void> =>
      lab.startEtcd(`etcd-${name}`, ETCD[name], join(work, `etcd-${name}`))
    const status = (name: 'west' | 'east'): Promise<string> =>
      lab.net
        .exec(
          lab.net.controlNs,
          ...cattailArgv(),
          'status',
          '--cache',
          CACHE[name],
          '--timeout-ms',
          '5000'
        )
        .catch((err: Error) => err.message)
    /** A TCP round trip from one pod to the other: the server echoes, the client prints the reply. */
    const tcpRoundTrip = async (
      from: typeof WEST,
      to: typeof WEST,
      port: number
    ): Promise<string> => {
      const server = lab.start(`tcp-${port}`, lab.net.podNs(to.lab.id), [
        process.execPath,
        '-e',
        `require('net').createServer(s=>{s.on('data',d=>{s.end('echo '+d+' from '+s.remoteAddress)})}).listen(${port},'0.0.0.0',()=>console.log('listening'))`,
      ])
      await lab.waitForLog(server.name, 'listening', 10_000)
      const out = await lab.net.exec(
        lab.net.podNs(from.lab.id),
        process.execPath,
        '-e',
        `const c=require('net').connect(${port},'${to.lab.podIp}',()=>c.write('hi'));c.setTimeout(5000,()=>{console.log('timeout');c.destroy()});c.on('data',d=>{console.log(String(d));c.end()})`
      )
      await lab.stop(server.name)
      return out.trim()
    }

    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'cattail-e2e-'))
      lab = await MeshLab.create(`cte${process.pid % 100000}`, [WEST.lab, EAST.lab])
      await Promise.all([startEtcd('west'), startEtcd('east')])
      await lab.etcdPut(ETCD.west, [...WEST.resources, etcdRcc('east', ETCD.east, 'Enabled')])
      await lab.etcdPut(ETCD.east, [...EAST.resources, etcdRcc('west', ETCD.west, 'Enabled')])
      const common = [
        '--log-level',
        'info',
        '--health-host',
        '127.0.0.1',
        '--metrics-host',
        '127.0.0.1',
        '--shutdown-timeout-ms',
        '500',
      ]
      for (const [name, port, health] of [
        ['west', 5473, 9098],
        ['east', 5474, 9198],
      ] as const) {
        lab.startCattail(`cache-${name}`, lab.net.controlNs, [
          'cache',
          '--datastore-type',
          'etcdv3',
          '--etcd-endpoints',
          ETCD[name],
          '--host',
          LAB_CONTROL_IP,
          '--port',
          String(port),
          '--health-port',
          String(health),
          '--metrics-port',
          String(health + 1),
          ...common,
        ])
      }
      for (const c of [WEST, EAST]) {
        lab.startCattail(`agent-${c.name}`, lab.net.nodeNs(c.lab.id), [
          'agent',
          '--node-name',
          c.node,
          '--cache-addresses',
          CACHE[c.name as 'west' | 'east'],
          '--log-level',
          'info',
          '--metrics-host',
          '127.0.0.1',
        ])
      }
    })

    after(async () => {
      await lab?.destroy()
      if (work !== undefined) await rm(work, { recursive: true, force: true })
    })

    it('each cache logs the remote syncer lines users grep for and reports the remote InSync', async () => {
      await lab.waitForLog('cache-west', 'Creating syncer for RemoteClusterConfiguration(east)')
      await lab.waitForLog(
        'cache-west',
        'Sending in-sync update for RemoteClusterConfiguration(east)'
      )
      await lab.waitForLog(
        'cache-east',
        'Sending in-sync update for RemoteClusterConfiguration(west)'
      )
      const s = await waitFor(
        async () => {
          const out = await status('west')
          return /east\s+InSync/.test(out) && out.includes('sync status: in-sync') ? out : undefined
        },
        { timeoutMs: 60_000, what: 'west cache status' }
      )
      assert.match(s, /east\s+.*WorkloadEndpoint=1/)
    })

    it("each agent routes the other cluster's pod block over vxlan.calico", async () => {
      for (const [here, there] of [
        [WEST, EAST],
        [EAST, WEST],
      ] as const) {
        const ns = lab.net.nodeNs(here.lab.id)
        const route = await waitFor(
          async () => {
            const r = await lab.net.exec(ns, 'ip', 'route', 'show', there.blockCidr)
            return r.includes('vxlan.calico') ? r : undefined
          },
          { timeoutMs: 60_000, what: `${here.name} route to ${there.blockCidr}` }
        )
        assert.match(
          route,
          new RegExp(`via ${there.tunnelIp.replace(/\./g, '\\.')} dev vxlan\\.calico .*onlink`)
        )
        const fdb = await lab.net.exec(ns, 'bridge', 'fdb', 'show', 'dev', 'vxlan.calico')
        assert.match(fdb, new RegExp(`dst ${there.lab.nodeIp.replace(/\./g, '\\.')} .*permanent`))
      }
    })

    it('pods reach each other by IP in both directions, source addresses preserved', async () => {
      assert.equal(await tcpRoundTrip(WEST, EAST, 7001), `echo hi from ${WEST.lab.podIp}`)
      assert.equal(await tcpRoundTrip(EAST, WEST, 7002), `echo hi from ${EAST.lab.podIp}`)
    })

    it('a dead remote datastore is reported ConnectionFailed, the routes stay, and it recovers', async () => {
      await lab.stop('etcd-east')
      await waitFor(async () => /east\s+ConnectionFailed/.test(await status('west')), {
        timeoutMs: 60_000,
        what: 'east ConnectionFailed at west',
      })
      const route = await lab.net.exec(
        lab.net.nodeNs(WEST.lab.id),
        'ip',
        'route',
        'show',
        EAST.blockCidr
      )
      assert.match(
        route,
        /vxlan\.calico/,
        'fail-static: the route to east survives east being unreachable'
      )
      await startEtcd('east')
      await waitFor(async () => /east\s+InSync/.test(await status('west')), {
        timeoutMs: 60_000,
        what: 'east InSync again at west',
      })
      assert.equal(await tcpRoundTrip(WEST, EAST, 7003), `echo hi from ${WEST.lab.podIp}`)
    })
  }
)

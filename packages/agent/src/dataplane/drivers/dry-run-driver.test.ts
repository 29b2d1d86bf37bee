import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import type { RouteSpec, Vtep, VxlanState } from '../../calc/types.js'
import { DEFAULT_VXLAN_DATAPLANE_CONFIG } from '../types.js'
import { DryRunVxlanDriver } from './dry-run-driver.js'

const vtep = (node: string, nodeIp: string, tunnelIp: string, mac: string): Vtep => ({
  node,
  cluster: undefined,
  nodeIp,
  nodeSubnet: undefined,
  tunnelIp,
  mac,
})
const me = vtep('me', '198.18.0.1', '198.19.0.1', '66:00:00:00:00:01')
const peer = vtep('b/peer', '198.18.0.2', '198.19.1.1', '66:00:00:00:00:02')

function state(remotes: readonly Vtep[]): VxlanState {
  const routes = new Map<string, RouteSpec>([
    ['198.19.0.0/26', { kind: 'blackhole', dst: '198.19.0.0/26' }],
  ])
  for (const r of remotes)
    routes.set('198.19.1.0/26', {
      kind: 'vxlan',
      dst: '198.19.1.0/26',
      gateway: r.tunnelIp,
      node: r.node,
    })
  return {
    local: me,
    remotes: new Map(remotes.map((r) => [r.node, r])),
    fdb: new Map(remotes.map((r) => [r.mac, r.nodeIp])),
    arp: new Map(remotes.map((r) => [r.tunnelIp, r.mac])),
    routes,
    nat: { allPools: new Set(), natPools: new Set() },
    problems: [],
  }
}

void describe('dry-run VXLAN driver', () => {
  void it('prints the device, FDB, ARP and route changes once, then only differences', async () => {
    const lines: string[] = []
    const d = new DryRunVxlanDriver(DEFAULT_VXLAN_DATAPLANE_CONFIG, (l) => lines.push(l))
    assert.equal((await d.apply()).status, 'waiting')
    d.setDesired(state([peer]))
    const r = await d.apply()
    assert.equal(r.status, 'programmed')
    assert.deepEqual(lines, [
      'ip link add vxlan.calico type vxlan id 4096 local 198.18.0.1 dstport 4789 nolearning',
      'ip link set vxlan.calico address 66:00:00:00:00:01 mtu 1450 up',
      'ip addr replace 198.19.0.1/32 dev vxlan.calico',
      'bridge fdb replace 66:00:00:00:00:02 dev vxlan.calico dst 198.18.0.2 self permanent',
      'ip neigh replace 198.19.1.1 lladdr 66:00:00:00:00:02 dev vxlan.calico nud permanent',
      'ip route add blackhole 198.19.0.0/26 proto 80',
      'ip route add 198.19.1.0/26 via 198.19.1.1 dev vxlan.calico onlink proto 80',
    ])
    assert.equal(r.changes, 7)
    lines.length = 0
    d.markForResync()
    assert.equal((await d.apply()).changes, 0)
    assert.deepEqual(lines, [])
    d.setDesired(state([]))
    await d.apply()
    assert.deepEqual(lines, [
      'ip route del 198.19.1.0/26 dev vxlan.calico proto 80',
      'ip neigh del 198.19.1.1 dev vxlan.calico',
      'bridge fdb del 66:00:00:00:00:02 dev vxlan.calico dst 198.18.0.2 self',
    ])
    assert.deepEqual(d.stats.entries, { fdb: 0, arp: 0, routes: 1 })
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { parseArp, parseFdb, parseRoutes } from './drivers/kernel-dump.js'
import type { KernelRoute, KernelVxlanState } from './types.js'
import { diffVxlan, recordOps, renderBatches } from './vxlan-diff.js'

const DEV = 'vxlan.calico'
const r = (dst: string, gateway: string, dev = DEV): KernelRoute => ({
  dst,
  type: 'unicast',
  gateway,
  dev,
  protocol: 80,
})

void describe('vxlan diff and ownership', () => {
  void it('parses dumps keeping only our routes and permanent neighbours', () => {
    const routes = parseRoutes(
      [
        { dst: '198.18.9.0/24', dev: 'v0', protocol: '2' },
        {
          dst: '198.19.7.0/26',
          gateway: '198.18.9.2',
          dev: 'v0',
          protocol: '80',
          flags: ['onlink'],
        },
        { dst: '198.19.8.0/26', gateway: '198.19.8.1', dev: DEV, protocol: '80' },
        { dst: '198.19.9.0/26', type: '6', protocol: '80' },
        { dst: '198.19.10.0/26', gateway: '198.19.8.1', dev: DEV }, // proto boot on our device: ours
        { dst: '198.19.11.0/26', gateway: '198.18.9.9', dev: 'v0', protocol: '4' }, // foreign
        { dst: 'default', gateway: '198.18.9.254', dev: 'v0' },
      ],
      DEV,
      80
    )
    assert.deepEqual([...routes.owned.keys()].sort(), [
      '198.19.10.0/26',
      '198.19.7.0/26',
      '198.19.8.0/26',
      '198.19.9.0/26',
    ])
    assert.deepEqual(routes.owned.get('198.19.9.0/26'), {
      dst: '198.19.9.0/26',
      type: 'blackhole',
      protocol: 80,
    })
    assert.deepEqual([...routes.foreign].sort(), ['0.0.0.0/0', '198.18.9.0/24', '198.19.11.0/26'])
    assert.deepEqual(
      parseArp([
        { dst: '198.19.8.1', lladdr: '66:00:00:00:00:02', state: ['PERMANENT'] },
        { dst: '198.19.8.2', lladdr: '66:00:00:00:00:03', state: ['STALE'] },
      ]),
      new Map([['198.19.8.1', '66:00:00:00:00:02']])
    )
    assert.deepEqual(
      parseFdb([
        { mac: '66:00:00:00:00:02', dst: '198.18.9.2', flags: ['self'], state: 'permanent' },
        { mac: '66:00:00:00:00:04', dst: '198.18.9.4', flags: ['self'], state: '' },
      ]),
      new Map([['66:00:00:00:00:02', '198.18.9.2']])
    )
  })

  void it('diffs minimally, deletions first, never over foreign routes', () => {
    const actual: KernelVxlanState = {
      fdb: new Map([
        ['66:00:00:00:00:02', '198.18.9.2'],
        ['66:00:00:00:00:03', '198.18.9.3'],
      ]),
      arp: new Map([['198.19.8.1', '66:00:00:00:00:02']]),
      routes: new Map([
        ['198.19.8.0/26', r('198.19.8.0/26', '198.19.8.1')],
        ['198.19.6.0/26', r('198.19.6.0/26', '198.19.6.1')],
      ]),
      foreignRoutes: new Set(['198.19.5.0/26']),
    }
    const want = {
      fdb: new Map([['66:00:00:00:00:02', '198.18.9.2']]),
      arp: new Map([
        ['198.19.8.1', '66:00:00:00:00:02'],
        ['198.19.4.1', '66:00:00:00:00:05'],
      ]),
      routes: new Map([
        ['198.19.8.0/26', r('198.19.8.0/26', '198.19.8.1')],
        ['198.19.5.0/26', r('198.19.5.0/26', '198.19.4.1')],
        ['198.19.4.0/26', r('198.19.4.0/26', '198.19.4.1')],
      ]),
    }
    const d = diffVxlan(want, actual)
    assert.deepEqual(d.conflicts, ['198.19.5.0/26'])
    assert.deepEqual(
      d.ops.map((o) => o.op),
      ['route-del', 'fdb-del', 'arp-set', 'route-add']
    )
    recordOps(actual, d.ops)
    assert.deepEqual(diffVxlan(want, actual).ops, [])
    const b = renderBatches(d.ops, DEV)
    assert.deepEqual(b.bridge, ['fdb del 66:00:00:00:00:03 dev vxlan.calico dst 198.18.9.3 self'])
    assert.deepEqual(b.ip, [
      'route del 198.19.6.0/26 dev vxlan.calico proto 80',
      'neigh replace 198.19.4.1 lladdr 66:00:00:00:00:05 dev vxlan.calico nud permanent',
      'route add 198.19.4.0/26 via 198.19.4.1 dev vxlan.calico onlink proto 80',
    ])
  })
})

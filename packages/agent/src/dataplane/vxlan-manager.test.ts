import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import { blockUpdate, deleteUpdate, nodeUpdate, poolUpdate } from '../testing/calc-fixtures.js'
import { FakeVxlanDriver } from '../testing/fake-drivers.js'
import { VxlanManager } from './vxlan-manager.js'

const log = createSilentLogger()
const snapshot: KVUpdate[] = [
  nodeUpdate('me', { ip: '198.18.0.1/24', tunnel: '198.19.0.1' }),
  nodeUpdate('n2', { ip: '198.18.0.2/24', tunnel: '198.19.2.1' }),
  nodeUpdate('n1', { cluster: 'b', ip: '198.18.1.1/24', tunnel: '198.19.64.1' }),
  poolUpdate('default', '198.19.0.0/18'),
  poolUpdate('default', '198.19.64.0/18', { cluster: 'b' }),
  blockUpdate('198.19.0.0/26', 'host:me'),
  blockUpdate('198.19.2.0/26', 'host:n2'),
  blockUpdate('198.19.64.0/26', 'host:b/n1', { cluster: 'b' }),
]

function fed(updates: KVUpdate[]): { mgr: VxlanManager; driver: FakeVxlanDriver } {
  const driver = new FakeVxlanDriver()
  const mgr = new VxlanManager('me', driver, log)
  for (const u of updates) mgr.onUpdate(u)
  mgr.completeDeferredWork()
  return { mgr, driver }
}

void describe('vxlan manager', () => {
  void it('hands the computed state to the driver', () => {
    const { driver } = fed(snapshot)
    assert.equal(driver.desired?.local?.node, 'me')
    assert.deepEqual([...driver.desired.routes.keys()].sort(), [
      '198.19.0.0/26',
      '198.19.2.0/26',
      '198.19.64.0/26',
    ])
    assert.equal(driver.desired.fdb.size, 2)
  })

  void it('routes borrowed addresses, and a block of its host only routes as a whole', () => {
    const { mgr, driver } = fed([
      ...snapshot,
      nodeUpdate('n3', { ip: '198.18.0.3/24', tunnel: '198.19.5.1' }),
      blockUpdate('198.19.3.0/26', 'host:n2', { borrowed: { 1: 'n2', 2: 'n2' } }),
      blockUpdate('198.19.4.0/26', 'host:n2', { borrowed: { 1: 'n2', 5: 'n3' } }),
    ])
    const routes = [...driver.desired!.routes.keys()].sort()
    assert.ok(routes.includes('198.19.3.0/26') && routes.includes('198.19.4.0/26'))
    assert.ok(routes.includes('198.19.4.5/32'), routes.join())
    assert.ok(!routes.some((r) => r.startsWith('198.19.3.') && r.endsWith('/32')), routes.join())
    driver.calls.length = 0
    // Only the host's own allocations changed: nothing the calc reads, no new state.
    mgr.onUpdate(blockUpdate('198.19.3.0/26', 'host:n2', { borrowed: { 9: 'n2' } }, '2'))
    assert.equal(mgr.dirty, false)
    // A borrowed one appears: new state, with its route.
    mgr.onUpdate(blockUpdate('198.19.3.0/26', 'host:n2', { borrowed: { 9: 'n3' } }, '3'))
    assert.equal(mgr.dirty, true)
    mgr.completeDeferredWork()
    assert.ok(driver.desired!.routes.has('198.19.3.9/32'))
  })

  void it('an extra completeDeferredWork is a no-op', () => {
    const { mgr, driver } = fed(snapshot)
    driver.calls.length = 0
    mgr.completeDeferredWork()
    assert.deepEqual(driver.calls, [])
  })

  void it('unrelated updates do not dirty (other kinds, label-only node changes, resent objects)', () => {
    const { mgr, driver } = fed(snapshot)
    driver.calls.length = 0
    mgr.onUpdate({
      key: 'Profile/kns.default',
      value: { kind: 'Profile', metadata: { name: 'kns.default' }, spec: { labelsToApply: {} } },
      revision: '9',
    })
    mgr.onUpdate({
      key: 'RemoteClusterStatus/b',
      value: { kind: 'RemoteClusterStatus', metadata: { name: 'b' }, spec: { status: 'InSync' } },
      revision: '9',
    })
    const relabelled = nodeUpdate('n2', { ip: '198.18.0.2/24', tunnel: '198.19.2.1' }, '10')
    mgr.onUpdate({
      ...relabelled,
      value: { ...relabelled.value!, metadata: { name: 'n2', labels: { a: 'b' } } },
    })
    for (const u of snapshot) mgr.onUpdate({ ...u, revision: '11' })
    mgr.onUpdate(deleteUpdate('Node/never-seen'))
    mgr.onUpdate({ key: 'not a key', value: undefined, revision: '1' })
    assert.equal(mgr.dirty, false)
    mgr.completeDeferredWork()
    assert.deepEqual(driver.calls, [])
  })

  void it('removing a remote node withdraws exactly its FDB, ARP and routes', () => {
    const { mgr, driver } = fed(snapshot)
    const fdbBefore = driver.desired!.fdb.size // the state object is patched in place
    mgr.onUpdate(deleteUpdate('b/Node/n1'))
    mgr.completeDeferredWork()
    const after = driver.desired!
    assert.deepEqual([...after.routes.keys()].sort(), ['198.19.0.0/26', '198.19.2.0/26'])
    assert.equal(after.fdb.size, fdbBefore - 1)
    assert.equal(after.arp.has('198.19.64.1'), false)
    assert.equal(after.arp.has('198.19.2.1'), true)
  })

  void it('the result does not depend on update order', () => {
    const a = fed(snapshot).driver.desired!
    const b = fed([...snapshot].reverse()).driver.desired!
    assert.deepEqual(new Map([...a.routes].sort()), new Map([...b.routes].sort()))
    assert.deepEqual(new Map([...a.fdb].sort()), new Map([...b.fdb].sort()))
  })

  void it('malformed values never throw and are ignored', () => {
    const driver = new FakeVxlanDriver()
    const mgr = new VxlanManager('me', driver, log)
    const bad = [
      { key: 'IPPool/x', value: { kind: 'IPPool', metadata: { name: 'x' } }, revision: '1' },
      {
        key: 'IPAMBlock/y',
        value: { kind: 'IPAMBlock', metadata: { name: 'y' }, spec: { cidr: 7 } },
        revision: '1',
      },
      {
        key: 'Node/z',
        value: { kind: 'Node', metadata: { name: 'z' }, spec: null },
        revision: '1',
      },
      {
        key: 'IPAMBlock/w',
        value: {
          kind: 'IPAMBlock',
          metadata: { name: 'w' },
          spec: { cidr: '198.19.9.0/26', allocations: 'x', attributes: [null] },
        },
        revision: '1',
      },
    ] as unknown as KVUpdate[]
    for (const u of [...snapshot, ...bad]) mgr.onUpdate(u)
    mgr.completeDeferredWork()
    assert.equal(driver.desired!.routes.size, 3)
  })

  void it('the remote-node fast path yields exactly the full computation, with changed keys', () => {
    const { mgr, driver } = fed(snapshot)
    const more = [
      nodeUpdate('n2', { ip: '198.18.0.9/24', tunnel: '198.19.2.1' }, '5'), // node IP moves
      deleteUpdate('b/Node/n1', '6'),
      nodeUpdate('n1', { cluster: 'b', ip: '198.18.1.1/24', tunnel: '198.19.64.1' }, '7'), // back
      nodeUpdate('n3', { ip: '198.18.0.3/24' }, '8'), // incomplete: no VTEP
    ]
    for (const u of more) {
      mgr.onUpdate(u)
      mgr.completeDeferredWork()
      assert.ok(driver.changed !== undefined, `fast path for ${u.key}`)
    }
    const fresh = fed([...snapshot, ...more]).driver.desired!
    const got = driver.desired!
    assert.deepEqual(new Map([...got.routes].sort()), new Map([...fresh.routes].sort()))
    assert.deepEqual(new Map([...got.fdb].sort()), new Map([...fresh.fdb].sort()))
    assert.deepEqual(new Map([...got.arp].sort()), new Map([...fresh.arp].sort()))
    assert.deepEqual(new Map([...got.remotes].sort()), new Map([...fresh.remotes].sort()))
    // A conflict (n4 takes b/n1's tunnel IP) falls back to the full computation.
    mgr.onUpdate(nodeUpdate('n4', { ip: '198.18.0.4/24', tunnel: '198.19.64.1' }, '9'))
    mgr.completeDeferredWork()
    assert.equal(driver.changed, undefined)
  })
})

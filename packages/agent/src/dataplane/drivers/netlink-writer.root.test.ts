/**
 * The pipelined NetlinkWriter against a real kernel (root, in a network namespace, through the
 * testing/netlink-writer-main.ts harness: a netlink socket belongs to its process's netns): a bulk
 * set spanning many datagrams and windows is programmed completely, a kernel error in the middle
 * is attributed to its entry, deletions of absent entries are fine, and the socket keeps working
 * after an error.
 */
import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { REPO_ROOT, addNetns, delNetns, isRoot, nsJson, sh } from '../../testing/netns.js'
import type { VxlanOp } from '../types.js'

const skip = isRoot() ? false : 'needs root (network namespaces)'
const ns = `ct-nlw-${process.pid}`
const DEV = 'vxlan.calico'
const HARNESS = resolve(REPO_ROOT, 'packages/agent/src/testing/netlink-writer-main.ts')

interface StepResult {
  readonly ok: boolean
  readonly name?: string
  readonly op?: string
  readonly errno?: string
}

function run(steps: VxlanOp[][], maxInFlight?: number): StepResult[] {
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, process.execPath, '--conditions=source', '--import', 'tsx', HARNESS],
    {
      cwd: REPO_ROOT,
      input: JSON.stringify({ device: DEV, maxInFlight, steps }),
      encoding: 'utf8',
      timeout: 60_000,
    }
  )
  assert.equal(r.status, 0, r.stderr)
  return (JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { results: StepResult[] })
    .results
}

const ip4 = (n: number): string =>
  `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
const BASE = ((198 << 24) | (19 << 16)) >>> 0
const mac = (i: number): string =>
  `66:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}:01`
/** FDB, ARP and an onlink route of VTEP i (tunnel IP = the /31 block's first address). */
function vtep(i: number): VxlanOp[] {
  const tunnel = ip4(BASE + 2 * i)
  return [
    { op: 'fdb-set', mac: mac(i), dst: ip4(((198 << 24) | (18 << 16)) + 2 + i) },
    { op: 'arp-set', ip: tunnel, mac: mac(i) },
    {
      op: 'route-add',
      route: { dst: `${tunnel}/31`, type: 'unicast', gateway: tunnel, dev: DEV, protocol: 80 },
    },
  ]
}

void describe('netlink writer against the kernel (root, netns)', { skip }, () => {
  before(async () => {
    await addNetns(ns)
    await sh('ip', '-n', ns, 'link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1')
    await sh('ip', '-n', ns, 'addr', 'add', '198.18.0.1/16', 'dev', 'u0')
    await sh('ip', '-n', ns, 'link', 'set', 'u0', 'up')
    await sh('ip', '-n', ns, 'link', 'add', DEV, 'type', 'vxlan', 'id', '4096', 'local',
      '198.18.0.1', 'dev', 'u0', 'dstport', '4789', 'nolearning') // prettier-ignore
    await sh('ip', '-n', ns, 'link', 'set', DEV, 'up')
  })
  after(() => delNetns(ns))

  void it('programs a bulk set across many datagrams and windows completely', async () => {
    const ops = [0, 1, 2].flatMap((k) =>
      Array.from({ length: 400 }, (_, i) => vtep(i)).map((v) => v[k] as VxlanOp)
    )
    assert.deepEqual(run([ops], 128), [{ ok: true }])
    const fdb = await nsJson<{ state?: string }>(ns, 'bridge', 'fdb', 'show', 'dev', DEV)
    const neigh = await nsJson<{ state?: string[] }>(ns, 'ip', '-4', 'neigh', 'show', 'dev', DEV)
    const routes = await nsJson<{ flags?: string[] }>(
      ns,
      'ip',
      '-4',
      'route',
      'show',
      'proto',
      '80'
    )
    assert.equal(fdb.filter((e) => e.state === 'permanent').length, 400)
    assert.equal(neigh.filter((e) => e.state?.includes('PERMANENT')).length, 400)
    assert.equal(routes.length, 400)
    assert.ok(routes.every((r) => r.flags?.includes('onlink')))
  })

  void it('attributes a kernel error to its entry; absent deletions are fine; the socket survives', async () => {
    // A foreign route holds a destination we then try to add (create-exclusive): EEXIST.
    await sh('ip', '-n', ns, 'route', 'add', '198.19.200.0/26', 'dev', 'u0', 'proto', 'static')
    const clash: VxlanOp = {
      op: 'route-add',
      route: {
        dst: '198.19.200.0/26',
        type: 'unicast',
        gateway: '198.19.0.1',
        dev: DEV,
        protocol: 80,
      },
    }
    const before = Array.from({ length: 100 }, (_, i) => vtep(1000 + i)[2] as VxlanOp)
    const tail = Array.from({ length: 50 }, (_, i) => vtep(2000 + i)[2] as VxlanOp)
    const absent: VxlanOp[] = [
      { op: 'fdb-del', mac: '66:00:00:ff:ff:01', dst: '198.18.9.9' },
      { op: 'arp-del', ip: '198.19.250.1', mac: '66:00:00:ff:ff:01' },
      { op: 'route-del', route: { dst: '198.19.251.0/26', type: 'blackhole', protocol: 80 } },
    ]
    const [bad, dels, good] = run([[...before, clash, ...tail], absent, vtep(3000)])
    assert.deepEqual(bad, {
      ok: false,
      name: 'NetlinkRequestError',
      op: 'route add 198.19.200.0/26',
      errno: 'EEXIST',
      message: 'netlink route add 198.19.200.0/26 failed: EEXIST',
    })
    assert.deepEqual(dels, { ok: true })
    assert.deepEqual(good, { ok: true })
    const neigh = await nsJson<{ dst: string }>(ns, 'ip', '-4', 'neigh', 'show', 'dev', DEV)
    assert.ok(neigh.some((n) => n.dst === ip4(BASE + 6000)))
    // The foreign route is untouched.
    const held = await nsJson<{ dev?: string; protocol?: string }>(
      ns, 'ip', '-4', 'route', 'show', '198.19.200.0/26') // prettier-ignore
    assert.deepEqual(
      held.map((r) => [r.dev, r.protocol]),
      [['u0', 'static']]
    )
  })
})

/**
 * The installed netlink addon must survive a socket overflow (deps.md §1.3): scripts/setup.sh
 * patches and rebuilds it (scripts/patch-netlink.sh) so that the overflow surfaces as an 'error'
 * event — which NetlinkWriter turns into a socket recreation and a resync — instead of SIGABRT.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { addNetns, delNetns, isRoot, REPO_ROOT } from '../../testing/netns.js'

const ns = `ct-nlovf-${process.pid}`

// Subscribes to route notifications with a tiny receive buffer, then floods 20k routes with ip -batch.
const CHILD = `
const { createRtNetlink } = require('netlink')
const { execFileSync } = require('node:child_process')
const sock = createRtNetlink({ recvBufferSize: 4096, sendBufferSize: 65536 })
let errors = 0
sock.socket.on('error', () => { errors++ })
sock.on('message', () => {})
sock.addMembership('IPV4_ROUTE')
const lines = []
for (let i = 0; i < 20000; i++) lines.push('route add 198.19.' + ((i >> 8) & 255) + '.' + (i & 255) + '/32 dev lo proto 80')
execFileSync('ip', ['-batch', '-'], { input: lines.join('\\n') + '\\n' })
setImmediate(() => { console.log(JSON.stringify({ errors })) })
`

describe(
  'netlink addon (root, netns)',
  { skip: isRoot() ? false : 'needs root for a network namespace' },
  () => {
    after(() => delNetns(ns))

    it('reports a receive-buffer overflow as an error event instead of aborting the process', async () => {
      await addNetns(ns)
      const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', CHILD], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      })
      assert.equal(r.signal, null, `child was killed by ${r.signal}: ${r.stderr}`)
      assert.equal(r.status, 0, r.stderr)
      const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { errors?: number }
      assert.ok((out.errors ?? 0) >= 1, `expected an overflow error event, got ${r.stdout}`)
    })
  }
)

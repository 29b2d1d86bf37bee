/**
 * `cattail demo` without root: run as `nobody` (when the test runs as root; else as the current,
 * non-root user) it picks the dry-run demo by itself, and the agents print the kernel changes.
 */
import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, it } from 'node:test'
import { cattailArgv } from '../lab/index.js'
import { EAST } from './scenario.js'

const RUNUSER = '/usr/sbin/runuser'

void describe('cattail demo as a non-root user (dry-run dataplane)', () => {
  void it('runs both clusters, prints device, FDB, ARP and route changes, status, and the withdrawal', async () => {
    const argv = [...cattailArgv(), 'demo']
    const root = process.getuid?.() === 0
    if (root) assert.ok(existsSync(RUNUSER), 'runuser is needed to drop root')
    const [file, args] = root
      ? [RUNUSER, ['-u', 'nobody', '--', ...argv]]
      : [argv[0] ?? process.execPath, argv.slice(1)]
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        file,
        args,
        { timeout: 240_000, env: { ...process.env, HOME: '/tmp' } },
        (err, stdout, stderr) => {
          if (err !== null) reject(new Error(`${err.message}\n${stdout}\n${stderr}`))
          else resolve(stdout)
        }
      )
    })
    assert.match(out, /dry-run demo: no root or network namespaces needed/)
    assert.match(out, /agent-west would run:\n\s+ip link add vxlan\.calico type vxlan id 4096/)
    assert.match(out, /bridge fdb replace \S+ dev vxlan\.calico dst 198\.18\.0\.2 self permanent/)
    assert.match(out, /ip neigh replace \S+ lladdr \S+ dev vxlan\.calico nud permanent/)
    assert.ok(out.includes(`ip route add ${EAST.blockCidr} via`), out)
    // the policy dataplane's would-be writes: ipsets (VXLAN allow-list) and iptables chains
    assert.match(out, /ipset restore/)
    assert.match(out, /create cali40all-vxlan-net hash:net family inet/)
    assert.match(out, /iptables(-nft|-legacy)?-restore/)
    assert.match(out, /-A cali-INPUT /)
    assert.match(out, /✔ east +InSync/)
    assert.ok(out.includes(`agent-west would run: ip route del ${EAST.blockCidr}`), out)
    assert.match(out, /done: stopping processes/)
  })
})

/**
 * Backend detection against real iptables-legacy and iptables-nft in a namespace of our own.
 */
import { strict as assert } from 'node:assert'
import { after, before, describe, it } from 'node:test'
import { addNetns, delNetns, isRoot, sh } from '../../testing/netns.js'
import { ExecRunner } from './exec.js'
import { detectIptablesBackend } from './iptables.js'

const skip = isRoot() ? false : 'needs root (network namespaces)'

describe('iptables backend detection (real tools in a netns)', { skip }, () => {
  const ns = `ct-ipt-${process.pid}`
  const runner = new ExecRunner(ns, 20_000)
  const inNs = (...args: string[]): Promise<string> => sh('ip', 'netns', 'exec', ns, ...args)
  before(() => addNetns(ns))
  after(() => delNetns(ns))

  it('empty → nft; more legacy rules → legacy; Kubernetes markers in nft mangle → nft', async () => {
    assert.equal(await detectIptablesBackend(runner, 'auto'), 'nft')
    await inNs('iptables-legacy', '-A', 'INPUT', '-p', 'tcp', '--dport', '1', '-j', 'ACCEPT')
    await inNs('iptables-legacy', '-A', 'INPUT', '-p', 'tcp', '--dport', '2', '-j', 'ACCEPT')
    assert.equal(await detectIptablesBackend(runner, 'auto'), 'legacy')
    await inNs('iptables-nft', '-t', 'mangle', '-N', 'KUBE-IPTABLES-HINT')
    assert.equal(await detectIptablesBackend(runner, 'auto'), 'nft')
    assert.equal(await detectIptablesBackend(runner, 'legacy'), 'legacy')
  })
})

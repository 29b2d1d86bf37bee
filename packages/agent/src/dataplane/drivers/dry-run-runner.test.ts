import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { DEFAULT_POLICY_DATAPLANE_CONFIG } from '../policy/config.js'
import { desiredOf } from '../../testing/fake-policy-calc.js'
import { DryRunToolRunner } from './dry-run-runner.js'
import { KernelPolicyDriver } from './policy-driver.js'

void describe('policy dry run', () => {
  void it('prints the ipsets and iptables it would program on an empty kernel, and runs nothing', async () => {
    const lines: string[] = []
    const driver = new KernelPolicyDriver(
      { ...DEFAULT_POLICY_DATAPLANE_CONFIG, iptablesBackend: 'nft', families: [4] },
      new DryRunToolRunner((l) => lines.push(l)),
      createSilentLogger()
    )
    driver.markForResync()
    driver.setDesired(
      desiredOf({
        ipsets: [
          { name: 'cali40s:abc', family: 4, type: 'hash:net', members: new Set(['198.19.0.2']) },
        ],
        v4: { filter: [{ name: 'cali-INPUT', rules: ['--jump ACCEPT'] }] },
        hooks: [{ table: 'filter', builtin: 'INPUT', target: 'cali-INPUT' }],
      })
    )
    await driver.apply()
    const text = lines.join('\n')
    assert.match(text, /^ipset restore/m)
    assert.match(text, /create cali40s:abc hash:net family inet/)
    assert.match(text, /^iptables-nft-restore|^iptables-restore/m)
    assert.match(text, /-A cali-INPUT .*--jump ACCEPT/)
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { countKubeLines, countRules, decideBackend } from './backend.js'

describe('decideBackend (Felix DetectBackend)', () => {
  const none = { legacyKubeLines: 0, nftKubeLines: 0, legacyRules: 0, nftRules: 0 }
  it('follows the Kubernetes marker chains in mangle', () => {
    assert.equal(decideBackend({ ...none, legacyKubeLines: 2, nftRules: 100 }), 'legacy')
    assert.equal(decideBackend({ ...none, nftKubeLines: 1, legacyRules: 100 }), 'nft')
  })
  it('else picks the backend with more rules; a tie is nft', () => {
    assert.equal(decideBackend({ ...none, legacyRules: 5, nftRules: 4 }), 'legacy')
    assert.equal(decideBackend({ ...none, legacyRules: 4, nftRules: 5 }), 'nft')
    assert.equal(decideBackend(none), 'nft')
  })
  it('counts marker lines and rules', () => {
    const save = ':KUBE-IPTABLES-HINT - [0:0]\n:KUBE-KUBELET-CANARY - [0:0]\n-A FORWARD -j ACCEPT\n'
    assert.equal(countKubeLines(save), 2)
    assert.equal(countRules(save), 1)
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { normalizeMac, vtepMacForNode } from './mac.js'

void describe('vtep mac', () => {
  const cases: [string, string][] = [
    ['remotehostname', '66:3e:ca:a4:db:65'],
    ['remotehostname2', '66:40:18:59:1f:16'],
  ]
  for (const [name, mac] of cases) {
    void it(`derives ${mac} for ${name} (Calico test vector)`, () => {
      assert.equal(vtepMacForNode(name), mac)
    })
  }

  void it('normalizes published MACs and rejects malformed ones', () => {
    assert.equal(normalizeMac('66:3E:CA:A4:DB:65'), '66:3e:ca:a4:db:65')
    assert.equal(normalizeMac('66-3e-ca-a4-db-65'), '66:3e:ca:a4:db:65')
    assert.equal(normalizeMac('66:3e:ca:a4:db'), undefined)
    assert.equal(normalizeMac('zz:3e:ca:a4:db:65'), undefined)
  })
})

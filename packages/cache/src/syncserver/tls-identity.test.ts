import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { clientIdentity, isClientAllowed } from './tls-identity.js'

void describe('client identity', () => {
  const policy = { allowedCNs: ['agent'], allowedURISANs: ['spiffe://mesh/agent'] }
  void it('extracts the CN and URI SANs', () => {
    const id = clientIdentity({
      subject: { CN: 'agent' },
      subjectaltname: 'DNS:x.example, URI:spiffe://mesh/agent, IP Address:198.18.0.1',
    })
    assert.deepEqual(id, { cn: 'agent', uriSans: ['spiffe://mesh/agent'] })
  })
  void it('accepts a matching CN or a matching URI SAN, refuses neither', () => {
    assert.equal(isClientAllowed({ cn: 'agent', uriSans: [] }, policy), true)
    assert.equal(isClientAllowed({ cn: 'other', uriSans: ['spiffe://mesh/agent'] }, policy), true)
    assert.equal(isClientAllowed({ cn: 'other', uriSans: ['spiffe://mesh/other'] }, policy), false)
    assert.equal(isClientAllowed({ cn: undefined, uriSans: [] }, policy), false)
  })
})

import { strict as assert } from 'node:assert'
import { it } from 'node:test'
import { ValidationError } from '@cattail/model'
import { BadObjectError, DatastoreConnectionError } from '../errors.js'
import { malformedRccName } from './malformed-rcc.js'

void it('malformedRccName recognises bad RCCs from every driver and nothing else', () => {
  const v = new ValidationError('RemoteClusterConfiguration', 'b', 'spec.x', 'bad')
  assert.equal(malformedRccName(new BadObjectError('remoteclusterconfigurations b', 'x', v)), 'b')
  assert.equal(
    malformedRccName(
      new BadObjectError(
        '/calico/resources/v3/projectcalico.org/remoteclusterconfigurations/c',
        'x'
      )
    ),
    'c'
  )
  assert.equal(malformedRccName(new BadObjectError('rcc.yaml#1', v.message, v)), 'b')
  const pool = new ValidationError('IPPool', 'p', 'spec.cidr', 'bad')
  assert.equal(malformedRccName(new BadObjectError('ippools p', pool.message, pool)), undefined)
  assert.equal(malformedRccName(new DatastoreConnectionError('etcdv3', 'list', 'x')), undefined)
})

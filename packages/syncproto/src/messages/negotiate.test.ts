import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { chooseStartMode, negotiate, type ServerCapabilities } from './negotiate.js'
import type { ClientHello } from './types.js'

const hello: ClientHello = {
  type: 'client-hello',
  versions: [1, 2],
  features: ['resume', 'future-thing'],
  nodeName: 'n1',
  syncerType: 'mesh',
  clientVersion: 'test',
  snapshotCompression: ['deflate'],
}
const caps: ServerCapabilities = {
  versions: [3, 2, 1],
  features: ['remote-status', 'resume'],
  syncerTypes: ['mesh'],
  snapshotCompression: ['deflate', 'none'],
}

void describe('negotiate', () => {
  void it('picks the server-preferred common version, common features and compression', () => {
    assert.deepEqual(negotiate(hello, caps), {
      ok: true,
      version: 2,
      features: ['resume'],
      syncerType: 'mesh',
      snapshotCompression: 'deflate',
    })
  })

  void it('falls back to no compression when the client lists none the server has', () => {
    const r = negotiate({ ...hello, snapshotCompression: [] }, caps)
    assert.equal(r.ok && r.snapshotCompression, 'none')
  })

  void it('rejects a client with no common version', () => {
    const r = negotiate({ ...hello, versions: [9] }, caps)
    assert.equal(!r.ok && r.reason, 'no-common-version')
  })

  void it('rejects an unknown syncer type', () => {
    const r = negotiate({ ...hello, syncerType: 'felix' }, caps)
    assert.equal(!r.ok && r.reason, 'unsupported-syncer-type')
  })

  void it('rejects a client missing a required feature', () => {
    const r = negotiate(hello, { ...caps, requiredFeatures: ['remote-status'] })
    assert.equal(!r.ok && r.reason, 'missing-required-feature')
  })
})

void describe('chooseStartMode', () => {
  const log = { epoch: 'e1', resumableFromSeq: 100, currentSeq: 200 }
  void it('resumes inside the retained window of the same epoch', () => {
    assert.equal(chooseStartMode({ epoch: 'e1', seq: 100 }, ['resume'], log), 'resume')
    assert.equal(chooseStartMode({ epoch: 'e1', seq: 200 }, ['resume'], log), 'resume')
  })
  void it('sends a snapshot otherwise', () => {
    assert.equal(chooseStartMode(undefined, ['resume'], log), 'snapshot')
    assert.equal(chooseStartMode({ epoch: 'e1', seq: 150 }, [], log), 'snapshot')
    assert.equal(chooseStartMode({ epoch: 'e0', seq: 150 }, ['resume'], log), 'snapshot')
    assert.equal(chooseStartMode({ epoch: 'e1', seq: 99 }, ['resume'], log), 'snapshot')
    assert.equal(chooseStartMode({ epoch: 'e1', seq: 201 }, ['resume'], log), 'snapshot')
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { releaseNow } from './snapshot.js'

void describe('releaseNow', () => {
  void it('frees a Buffer that owns its memory and leaves views and pooled slices alone', () => {
    const owned = Buffer.alloc(64 * 1024, 1)
    const view = owned.subarray(10, 20)
    releaseNow(view)
    assert.equal(owned.byteLength, 64 * 1024, 'a view does not free its parent')
    releaseNow(owned)
    assert.equal(owned.byteLength, 0, 'detached: memory freed now')
    const pooledA = Buffer.from('pooled a')
    const pooledB = Buffer.from('pooled b')
    releaseNow(pooledA)
    assert.equal(pooledB.toString(), 'pooled b', 'the shared pool is not touched')
    assert.equal(pooledA.toString(), 'pooled a')
    releaseNow(Buffer.alloc(0))
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { DEFAULT_VXLAN_DATAPLANE_CONFIG } from '../types.js'
import { NetlinkWriter } from './netlink-writer.js'

void describe('netlink writer', () => {
  void it('a socket error (ENOBUFS) drops the socket, counts a recreation and asks for a resync; no crash', () => {
    const resets: unknown[] = []
    const w = new NetlinkWriter(DEFAULT_VXLAN_DATAPLANE_CONFIG, createSilentLogger(), {
      onReset: (err) => resets.push(err),
    })
    try {
      // Opening a netlink socket issues no request: this touches nothing in the kernel.
      w.injectSocketError(new Error('recvmsg ENOBUFS'))
      assert.equal(w.recreations, 1)
      assert.equal(resets.length, 1)
      w.injectSocketError(new Error('recvmsg ENOBUFS')) // a fresh socket was opened for it
      assert.equal(w.recreations, 2)
    } finally {
      w.close()
    }
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { ipVersionOf, isValidCidr, isValidMac, parseIPv6, toCidr } from './net.js'

void describe('address parsing', () => {
  void it('accepts and rejects IPv4 forms', () => {
    for (const ok of ['0.0.0.0', '198.19.3.17', '255.255.255.255'])
      assert.equal(ipVersionOf(ok), 4, ok)
    for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', '', '1.2.3.-1', ' 1.2.3.4'])
      assert.equal(ipVersionOf(bad), undefined, bad)
  })

  void it('parses IPv6 with compression and an IPv4 tail', () => {
    assert.deepEqual(parseIPv6('::'), [0, 0, 0, 0, 0, 0, 0, 0])
    assert.deepEqual(parseIPv6('fd00::1'), [0xfd00, 0, 0, 0, 0, 0, 0, 1])
    assert.deepEqual(parseIPv6('::ffff:198.19.0.1'), [0, 0, 0, 0, 0, 0xffff, 0xc613, 0x0001])
    assert.deepEqual(parseIPv6('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8])
    for (const bad of [
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      'fd00::g',
      '12345::',
      'fe80::1%eth0',
      ':1',
      '1:2:3:4:5:6:7::8:9',
    ])
      assert.equal(parseIPv6(bad), undefined, bad)
  })

  void it('validates CIDRs and turns addresses into CIDRs', () => {
    assert.ok(isValidCidr('198.19.0.0/16'))
    assert.ok(isValidCidr('fd00::/128'))
    assert.ok(!isValidCidr('198.19.0.0/33'))
    assert.ok(!isValidCidr('198.19.0.0/016'))
    assert.ok(!isValidCidr('198.19.0.0'))
    assert.equal(toCidr('198.19.0.5'), '198.19.0.5/32')
    assert.equal(toCidr('fd00::5'), 'fd00::5/128')
    assert.equal(toCidr('198.19.0.0/26'), '198.19.0.0/26')
    assert.equal(toCidr('nope'), undefined)
  })

  void it('validates MAC addresses', () => {
    assert.ok(isValidMac('66:3e:ca:a4:db:65'))
    assert.ok(isValidMac('66-3E-CA-A4-DB-65'))
    assert.ok(!isValidMac('66:3e:ca:a4:db'))
    assert.ok(!isValidMac('66:3e-ca:a4:db:65'))
  })
})

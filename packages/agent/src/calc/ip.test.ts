import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { cidrsOverlap, formatCidr4, parseAddrWithPrefix, parseCidr4, parseIPv4 } from './ip.js'

void describe('ipv4 helpers', () => {
  void it('parses and normalizes CIDRs', () => {
    assert.equal(formatCidr4(parseCidr4('198.19.1.7/26')!), '198.19.1.0/26')
    assert.equal(formatCidr4(parseCidr4('198.19.1.7')!), '198.19.1.7/32')
    for (const bad of ['198.19.1/26', '198.19.1.256/26', '198.19.1.0/33', 'fd00::/64', '']) {
      assert.equal(parseCidr4(bad), undefined, bad)
    }
    assert.equal(parseIPv4('1.2.3.04x'), undefined)
    for (const bad of [
      '1.2.3.4.',
      '.1.2.3',
      '1..2.3',
      '1.2.3',
      '1.2.3.1000',
      ' 1.2.3.4',
      '1.2.3.-4',
    ])
      assert.equal(parseIPv4(bad), undefined, bad)
    assert.equal(parseIPv4('001.2.3.255'), (1 << 24) + (2 << 16) + (3 << 8) + 255)
    for (const bad of ['1.2.3.4/', '1.2.3.4/1x', '1.2.3.4/033', '1.2.3.4/24/1'])
      assert.equal(parseCidr4(bad), undefined, bad)
  })

  void it('detects overlap in both directions', () => {
    const c = (s: string) => parseCidr4(s)!
    assert.equal(cidrsOverlap(c('198.19.0.0/16'), c('198.19.4.0/26')), true)
    assert.equal(cidrsOverlap(c('198.19.4.0/26'), c('198.19.0.0/16')), true)
    assert.equal(cidrsOverlap(c('198.19.4.0/26'), c('198.19.4.64/26')), false)
  })

  void it('splits an address with prefix', () => {
    const r = parseAddrWithPrefix('198.18.0.2/24')!
    assert.equal(r.ip, '198.18.0.2')
    assert.equal(formatCidr4(r.network!), '198.18.0.0/24')
    assert.equal(parseAddrWithPrefix('198.18.0.2')!.network, undefined)
    // The address comes back canonical (no leading zeros); a bad prefix rejects the whole text.
    assert.equal(parseAddrWithPrefix('198.018.0.02/24')!.ip, '198.18.0.2')
    assert.equal(parseAddrWithPrefix('10.0.0.1')!.ip, '10.0.0.1')
    assert.equal(parseAddrWithPrefix('198.18.0.2/40'), undefined)
  })
})

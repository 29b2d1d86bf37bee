import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { parseSelector } from '@cattail/selector'
import { createPolicyCalc, type PolicyCalc, type PolicyDesired } from './index.js'
import { gnp, nsProfile, wep, type np } from '../../testing/policy-fixtures.js'

const chain = (d: PolicyDesired, name: string, family: 4 | 6 = 4): readonly string[] | undefined =>
  d.chains[family].get('filter')?.get(name)?.rules

const setOf = (d: PolicyDesired, name: string): string[] =>
  [...(d.ipsets.get(name)?.members ?? [])].sort()

const sel = (text: string): string => parseSelector(text).ipsetName(4)

/** A calc for node n1 with a backend pod on cali1 in namespace default. */
function backendCalc(): PolicyCalc {
  const c = createPolicyCalc({ nodeName: 'n1' })
  c.onUpdate(nsProfile('default'))
  c.onUpdate(
    wep({
      name: 'backend',
      node: 'n1',
      ip: '198.19.1.5',
      iface: 'cali1',
      labels: { app: 'backend-app' },
    })
  )
  return c
}

void describe('policy calc: rule rendering', () => {
  function render(rules: Parameters<typeof np>[2]['egress'], family: 4 | 6 = 4): readonly string[] {
    const c = backendCalc()
    c.onUpdate(
      gnp('p', { selector: "app == 'backend-app'", types: ['Egress'], egress: rules ?? [] })
    )
    return chain(c.desired(), 'cali-po-gnp/p', family) ?? []
  }
  const C = '-m comment --comment "GlobalNetworkPolicy p egress" '

  void it('Allow, Deny, Pass and Log', () => {
    assert.deepEqual(
      render([
        { action: 'Log', protocol: 'UDP' },
        { action: 'Deny', protocol: 'TCP' },
        { action: 'Pass' },
        { action: 'Allow' },
      ]),
      [
        `${C}-p udp --jump LOG --log-prefix "calico-packet: " --log-level 5`,
        '-p tcp --jump MARK --set-mark 0x40000/0x40000',
        '-m mark --mark 0x40000/0x40000 --jump DROP',
        '--jump MARK --set-mark 0x20000/0x20000',
        '-m mark --mark 0x20000/0x20000 --jump RETURN',
        '--jump MARK --set-mark 0x10000/0x10000',
      ]
    )
  })

  void it('ports, ranges, notPorts and the 15-slot multiport split', () => {
    const many = Array.from({ length: 16 }, (_, i) => 1000 + i)
    assert.deepEqual(
      render([
        {
          action: 'Allow',
          protocol: 'TCP',
          destination: { ports: [80, '8000:8080'], notPorts: [81] },
          source: { ports: [53] },
        },
      ]),
      [
        `${C}-p tcp -m multiport --source-ports 53 -m multiport --destination-ports 80,8000:8080 -m multiport ! --destination-ports 81 --jump MARK --set-mark 0x10000/0x10000`,
      ]
    )
    assert.deepEqual(render([{ action: 'Deny', protocol: 'TCP', destination: { ports: many } }]), [
      `${C}--jump MARK --set-mark 0x0/0x180000`,
      `-p tcp -m multiport --destination-ports ${many.slice(0, 15).join(',')} --jump MARK --set-mark 0x80000/0x80000`,
      '-p tcp -m multiport --destination-ports 1015 --jump MARK --set-mark 0x80000/0x80000',
      '-p tcp -m mark --mark 0x80000/0x80000 --jump MARK --set-mark 0x40000/0x40000',
      '-m mark --mark 0x40000/0x40000 --jump DROP',
    ])
  })

  void it('named ports become hash:ip,port sets', () => {
    const c = backendCalc()
    c.onUpdate(
      wep({
        name: 'db',
        node: 'n2',
        ip: '198.19.2.2',
        labels: { app: 'db' },
        ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }],
      })
    )
    c.onUpdate(
      gnp('p', {
        selector: "app == 'backend-app'",
        types: ['Egress'],
        egress: [
          {
            action: 'Allow',
            protocol: 'TCP',
            destination: { selector: "app == 'db'", ports: ['pg'] },
          },
        ],
      })
    )
    const d = c.desired()
    const rules = chain(d, 'cali-po-gnp/p') ?? []
    const m = /--match-set (cali40n:\S+) dst,dst/.exec(rules[0] ?? '')
    assert.ok(m, rules[0])
    const name = m[1] ?? ''
    assert.equal(d.ipsets.get(name)?.type, 'hash:ip,port')
    assert.deepEqual(setOf(d, name), ['198.19.2.2,tcp:5432'])
    assert.equal(
      rules[0],
      `${C}-p tcp -m set --match-set ${sel("app == 'db'")} dst -m set --match-set ${name} dst,dst --jump MARK --set-mark 0x10000/0x10000`
    )
  })

  void it('nets and notNets, with OR-blocks and family filtering', () => {
    assert.deepEqual(
      render([
        {
          action: 'Allow',
          destination: { nets: ['198.51.100.0/24'], notNets: ['198.51.100.7/32'] },
        },
      ]),
      [
        `${C}--destination 198.51.100.0/24 ! --destination 198.51.100.7/32 --jump MARK --set-mark 0x10000/0x10000`,
      ]
    )
    assert.deepEqual(
      render([{ action: 'Allow', destination: { nets: ['198.51.100.0/24', '203.0.113.0/24'] } }]),
      [
        `${C}--jump MARK --set-mark 0x0/0x180000`,
        '--destination 198.51.100.0/24 --jump MARK --set-mark 0x80000/0x80000',
        '--destination 203.0.113.0/24 --jump MARK --set-mark 0x80000/0x80000',
        '-m mark --mark 0x80000/0x80000 --jump MARK --set-mark 0x10000/0x10000',
      ]
    )
    assert.deepEqual(
      render([{ action: 'Deny', source: { notNets: ['10.0.0.0/8', '172.16.0.0/12'] } }]),
      [
        `${C}--jump MARK --set-mark 0x80000/0x180000`,
        '--source 10.0.0.0/8 --jump MARK --set-mark 0/0x80000',
        '--source 172.16.0.0/12 --jump MARK --set-mark 0/0x80000',
        '-m mark --mark 0x80000/0x80000 --jump MARK --set-mark 0x40000/0x40000',
        '-m mark --mark 0x40000/0x40000 --jump DROP',
      ]
    )
    // A v4-only net list skips the rule in v6; ipVersion filters too.
    const v6 = render(
      [
        { action: 'Allow', destination: { nets: ['198.51.100.0/24'] } },
        { action: 'Deny', ipVersion: 4 },
        { action: 'Allow', destination: { nets: ['2001:2::/64'] } },
      ],
      6
    )
    assert.deepEqual(v6, [`${C}--destination 2001:2::/64 --jump MARK --set-mark 0x10000/0x10000`])
  })

  void it('ICMP and notICMP in both families', () => {
    assert.deepEqual(
      render([
        { action: 'Allow', protocol: 'ICMP', icmp: { type: 8, code: 0 } },
        { action: 'Deny', protocol: 'ICMP', notICMP: { type: 3 } },
      ]),
      [
        `${C}-p icmp -m icmp --icmp-type 8/0 --jump MARK --set-mark 0x10000/0x10000`,
        '-m mark --mark 0x10000/0x10000 --jump RETURN',
        '-p icmp -m icmp ! --icmp-type 3 --jump MARK --set-mark 0x40000/0x40000',
        '-m mark --mark 0x40000/0x40000 --jump DROP',
      ]
    )
    assert.deepEqual(
      render(
        [
          { action: 'Allow', protocol: 'ICMP', icmp: { type: 8 } },
          { action: 'Allow', protocol: 'ICMPv6', icmp: { type: 128 } },
        ],
        6
      ),
      [`${C}-p ipv6-icmp -m icmp6 --icmpv6-type 128 --jump MARK --set-mark 0x10000/0x10000`]
    )
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { PolicyCalcImpl } from './policy-calc.js'
import { cidrHasIp, TraceError, tracePolicy } from './trace.js'
import { gnp, netSet, np, nsProfile, tier, wep } from '../../testing/policy-fixtures.js'

function seeded(): PolicyCalcImpl {
  const c = new PolicyCalcImpl({ nodeName: 'n1' })
  c.onUpdate(nsProfile('default'))
  c.onUpdate(nsProfile('default', {}, 'b'))
  c.onUpdate(
    wep({
      name: 'backend',
      node: 'n1',
      ip: '198.19.1.5',
      iface: 'cali1',
      labels: { app: 'backend-app' },
    })
  )
  c.onUpdate(
    wep({ name: 'pg', node: 'm1', ip: '198.19.9.9', labels: { app: 'postgres' }, cluster: 'b' })
  )
  c.onUpdate(
    wep({ name: 'redis', node: 'm1', ip: '198.19.9.10', labels: { app: 'redis' }, cluster: 'b' })
  )
  c.onUpdate(
    np('backend-to-postgres', 'default', {
      selector: "app == 'backend-app'",
      types: ['Ingress', 'Egress'],
      egress: [
        { action: 'Log', protocol: 'TCP' },
        {
          action: 'Allow',
          protocol: 'TCP',
          destination: { selector: "app == 'postgres'", ports: [5432] },
        },
      ],
    })
  )
  return c
}

void describe('policy trace', () => {
  void it('allows the seed flow to a remote postgres and names the deciding rule', () => {
    const r = tracePolicy(seeded(), {
      from: 'WorkloadEndpoint/default/backend',
      to: 'b/WorkloadEndpoint/default/pg',
      protocol: 'tcp',
      port: 5432,
    })
    assert.equal(r.verdict, 'allow')
    assert.equal(r.egress.tier, 'default')
    assert.equal(r.egress.policy, 'np/default/backend-to-postgres')
    assert.equal(r.egress.ruleIndex, 1)
    assert.deepEqual(r.egress.trail, ['np/default/backend-to-postgres rule 0 Log'])
    assert.equal(r.ingress.evaluated, false)
    assert.equal(r.to.cluster, 'b')
  })

  void it('denies by end of tier for another port, another pod, or after relabelling', () => {
    const c = seeded()
    const q = { from: '198.19.1.5', to: '198.19.9.10', protocol: 'tcp', port: 5432 }
    const r = tracePolicy(c, q)
    assert.equal(r.verdict, 'deny')
    assert.equal(r.egress.default, 'end of tier default')
    assert.equal(tracePolicy(c, { ...q, to: '198.19.9.9', port: 5433 }).verdict, 'deny')
    c.onUpdate(
      wep({
        name: 'redis',
        node: 'm1',
        ip: '198.19.9.10',
        labels: { app: 'postgres' },
        cluster: 'b',
      })
    )
    assert.equal(tracePolicy(c, q).verdict, 'allow')
  })

  void it('ingress side: profile allow when no policy applies; default deny from the seed policy', () => {
    const c = seeded()
    c.onUpdate(wep({ name: 'web', node: 'n2', ip: '198.19.2.2', labels: { app: 'web' } }))
    const toWeb = tracePolicy(c, {
      from: 'b/WorkloadEndpoint/default/pg',
      to: 'WorkloadEndpoint/default/web',
      protocol: 'tcp',
      port: 80,
    })
    assert.equal(toWeb.verdict, 'allow')
    assert.equal(toWeb.ingress.profile, 'kns.default')
    const toBackend = tracePolicy(c, {
      from: '198.19.2.2',
      to: '198.19.1.5',
      protocol: 'tcp',
      port: 80,
    })
    assert.equal(toBackend.verdict, 'deny')
    assert.equal(toBackend.ingress.default, 'end of tier default')
    assert.equal(toBackend.egress.profile, 'kns.default')
  })

  void it('tiers with Pass, deny rules, network sets and problems', () => {
    const c = seeded()
    c.onUpdate(tier('security', 1))
    c.onUpdate(netSet('bad-nets', ['203.0.113.0/24'], { threat: 'yes' }))
    c.onUpdate(
      gnp('security.block', {
        tier: 'security',
        selector: 'all()',
        types: ['Egress'],
        egress: [
          { action: 'Deny', destination: { selector: "threat == 'yes'" } },
          { action: 'Pass' },
        ],
      })
    )
    c.onUpdate(np('broken', 'default', { selector: 'nope ==' }))
    const bad = tracePolicy(c, { from: '198.19.1.5', to: '203.0.113.9', protocol: 'udp', port: 53 })
    assert.equal(bad.verdict, 'deny')
    assert.deepEqual(
      [bad.egress.tier, bad.egress.policy, bad.egress.ruleIndex],
      ['security', 'gnp/security.block', 0]
    )
    const ok = tracePolicy(c, { from: '198.19.1.5', to: '198.19.9.9', protocol: 'tcp', port: 5432 })
    assert.equal(ok.verdict, 'allow')
    assert.equal(ok.egress.policy, 'np/default/backend-to-postgres')
    assert.ok(ok.egress.trail.includes('gnp/security.block rule 1 Pass'))
    assert.equal(ok.problems.length, 1)
  })

  void it('rejects unknown endpoints and protocols with a TraceError', () => {
    const c = seeded()
    assert.throws(
      () => tracePolicy(c, { from: 'WorkloadEndpoint/x/y', to: '198.19.1.5', protocol: 'tcp' }),
      TraceError
    )
    assert.throws(
      () => tracePolicy(c, { from: '198.19.1.5', to: '198.19.9.9', protocol: 'bogus' }),
      TraceError
    )
  })
})

void describe('cidrHasIp', () => {
  void it('answers for good CIDRs and is false, never a throw, for malformed ones', () => {
    assert.equal(cidrHasIp('198.18.0.0/16', '198.18.3.4'), true)
    assert.equal(cidrHasIp('198.18.0.0/16', '198.19.3.4'), false)
    assert.equal(cidrHasIp('2001:2::/48', '2001:2::7'), true)
    assert.equal(cidrHasIp('198.18.3.4', '198.18.3.4'), true)
    for (const bad of [
      '198.18.0.0/x',
      '198.18.0.0/33',
      '198.18.0.0/-1',
      '198.18.0.0/',
      '198.18.0.0/1.5',
    ]) {
      assert.equal(cidrHasIp(bad, '198.18.3.4'), false, bad)
    }
    assert.equal(cidrHasIp('2001:2::/129', '2001:2::7'), false)
    assert.equal(cidrHasIp('1:2:3:4:5:6:7:8::9/64', '1:2:3:4::1'), false)
    assert.equal(cidrHasIp('2001:2::/48', '1:2:3:4:5:6:7:8::9'), false)
  })
})

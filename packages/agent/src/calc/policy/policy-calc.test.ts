import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { parseSelector } from '@cattail/selector'
import { createPolicyCalc, type PolicyCalc, type PolicyDesired } from './index.js'
import { lengthLimitedId, chainName } from './names.js'
import { entitySelectorsV1 } from './prepare.js'
import {
  gnp,
  netSet,
  node,
  np,
  nsProfile,
  pool,
  tier,
  wep,
  profile,
} from '../../testing/policy-fixtures.js'

const chain = (d: PolicyDesired, name: string, family: 4 | 6 = 4): readonly string[] | undefined =>
  d.chains[family].get('filter')?.get(name)?.rules

const setOf = (d: PolicyDesired, name: string): string[] =>
  [...(d.ipsets.get(name)?.members ?? [])].sort()

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

const sel = (text: string): string => parseSelector(text).ipsetName(4)

void describe('policy calc: Felix vectors', () => {
  void it('GetLengthLimitedID vectors (§2.1)', () => {
    assert.equal(lengthLimitedId('felix', '1234', 10), 'felix1234')
    assert.equal(lengthLimitedId('felix', '_2345', 10), 'felix_kMQI')
    assert.equal(lengthLimitedId('felix', '12345678910', 13), 'felix_Y2QCZIS')
    assert.equal(
      chainName('cali-pi-', 'gnp/long-policy-name-that-gets-hashed'),
      'cali-pi-_PymyFHQQg3808jiz1OJ'
    )
    assert.equal(chainName('cali-tw-', 'cali1234'), 'cali-tw-cali1234')
  })

  void it('Example 3: selector, ipset name, chain name and rule text (§2.9)', () => {
    const { positive } = entitySelectorsV1({ selector: 'role == "frontend"' }, 'prod', 'x')
    const s = parseSelector(positive ?? '')
    assert.equal(s.toString(), '(projectcalico.org/namespace == "prod" && role == "frontend")')
    assert.equal(s.uniqueId(), 's:m3eXIwiWO3PancqVUbrGUUHrl3pQMEvdNXCATw')
    assert.equal(s.ipsetName(4), 'cali40s:m3eXIwiWO3PancqVUbrGUUH')
    const c = createPolicyCalc({ nodeName: 'n1' })
    c.onUpdate(nsProfile('prod'))
    c.onUpdate(
      wep({
        name: 'web',
        ns: 'prod',
        node: 'n1',
        ip: '198.19.1.9',
        iface: 'cali9',
        labels: { role: 'web' },
      })
    )
    c.onUpdate(
      wep({ name: 'fe', ns: 'prod', node: 'n2', ip: '198.19.2.7', labels: { role: 'frontend' } })
    )
    c.onUpdate(
      np('allow-web', 'prod', {
        selector: 'role == "web"',
        types: ['Ingress'],
        ingress: [
          {
            action: 'Allow',
            protocol: 'TCP',
            source: { selector: 'role == "frontend"' },
            destination: { ports: [80] },
          },
        ],
      })
    )
    const d = c.desired()
    assert.deepEqual(chain(d, 'cali-pi-np/prod/allow-web'), [
      '-m comment --comment "NetworkPolicy prod/allow-web ingress" -p tcp -m set --match-set cali40s:m3eXIwiWO3PancqVUbrGUUH src -m multiport --destination-ports 80 --jump MARK --set-mark 0x10000/0x10000',
    ])
    assert.deepEqual(setOf(d, 'cali40s:m3eXIwiWO3PancqVUbrGUUH'), ['198.19.2.7'])
    assert.equal(d.ipsets.get('cali40s:m3eXIwiWO3PancqVUbrGUUH')?.type, 'hash:net')
    assert.deepEqual(chain(d, 'cali-tw-cali9'), [
      '-m conntrack --ctstate RELATED,ESTABLISHED --jump ACCEPT',
      '-m conntrack --ctstate INVALID --jump DROP',
      '--jump MARK --set-mark 0/0x30000',
      '-m comment --comment "Start of tier default" --jump MARK --set-mark 0/0x20000',
      '-m mark --mark 0/0x20000 --jump cali-pi-np/prod/allow-web',
      '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 --jump RETURN',
      '-m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0/0x20000 --jump DROP',
      '--jump cali-pri-kns.prod',
      '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 --jump RETURN',
      '-m comment --comment "Drop if no profiles matched" --jump DROP',
    ])
    // Egress: no policy (types Ingress), so profiles only; VXLAN/IPIP drop in v4.
    assert.deepEqual(chain(d, 'cali-fw-cali9')?.slice(3, 5), [
      '-m comment --comment "Drop VXLAN encapped packets originating in workloads" -p 17 -m multiport --destination-ports 4789 --jump DROP',
      '-m comment --comment "Drop IPinIP encapped packets originating in workloads" -p 4 --jump DROP',
    ])
    assert.deepEqual(chain(d, 'cali-pri-kns.prod'), [
      '-m comment --comment "Profile kns.prod ingress" --jump MARK --set-mark 0x10000/0x10000',
    ])
  })
})

void describe('policy calc: the seed policy across clusters', () => {
  const seed = np('backend-to-postgres', 'default', {
    selector: "app == 'backend-app'",
    types: ['Ingress', 'Egress'],
    egress: [
      {
        action: 'Allow',
        protocol: 'TCP',
        destination: { selector: "app == 'postgres'", ports: [5432] },
      },
    ],
  })
  const pgSet = parseSelector(
    "(projectcalico.org/namespace == 'default') && (app == 'postgres')"
  ).ipsetName(4)

  void it('a remote postgres pod joins the ipset; relabelling it is a members-only delta', () => {
    const c = backendCalc()
    c.onUpdate(nsProfile('default', {}, 'b'))
    c.onUpdate(seed)
    c.onUpdate(
      wep({ name: 'pg', node: 'm1', ip: '198.19.9.9', labels: { app: 'postgres' }, cluster: 'b' })
    )
    c.onUpdate(
      wep({ name: 'other', node: 'm1', ip: '198.19.9.10', labels: { app: 'redis' }, cluster: 'b' })
    )
    assert.equal(c.takeChanges().structural, true)
    const d = c.desired()
    assert.deepEqual(setOf(d, pgSet), ['198.19.9.9'])
    assert.deepEqual(chain(d, chainName('cali-po-', 'np/default/backend-to-postgres')), [
      `-m comment --comment "NetworkPolicy default/backend-to-postgres egress" -p tcp -m set --match-set ${pgSet} dst -m multiport --destination-ports 5432 --jump MARK --set-mark 0x10000/0x10000`,
    ])
    // Ingress with no rules: an empty policy chain, so the end-of-tier drop denies (default deny).
    assert.deepEqual(chain(d, chainName('cali-pi-', 'np/default/backend-to-postgres')), [
      '-m comment --comment "NetworkPolicy default/backend-to-postgres ingress"',
    ])
    c.onUpdate(
      wep({ name: 'pg', node: 'm1', ip: '198.19.9.9', labels: { app: 'nope' }, cluster: 'b' })
    )
    c.onUpdate(
      wep({
        name: 'other',
        node: 'm1',
        ip: '198.19.9.10',
        labels: { app: 'postgres' },
        cluster: 'b',
      })
    )
    const ch = c.takeChanges()
    assert.equal(ch.structural, false)
    assert.deepEqual(ch.members.get(pgSet), { add: ['198.19.9.10'], del: ['198.19.9.9'] })
    assert.deepEqual(setOf(c.desired(), pgSet), ['198.19.9.10'])
    // A resync that repeats unchanged resources is not structural and changes no member.
    c.onUpdate(seed)
    c.onUpdate(
      wep({
        name: 'backend',
        node: 'n1',
        ip: '198.19.1.5',
        iface: 'cali1',
        labels: { app: 'backend-app' },
      })
    )
    c.onUpdate(nsProfile('default'))
    const again = c.takeChanges()
    assert.equal(again.structural, false)
    assert.equal(again.members.size, 0)
    // A remote endpoint in another namespace never matches a namespaced rule selector.
    c.onUpdate(
      wep({
        name: 'pg2',
        ns: 'db',
        node: 'm1',
        ip: '198.19.9.11',
        labels: { app: 'postgres' },
        cluster: 'b',
      })
    )
    assert.equal(c.takeChanges().members.size, 0)
  })

  void it('an invalid policy is a problem; the others still render; a bad update keeps the previous version', () => {
    const c = backendCalc()
    c.onUpdate(seed)
    c.onUpdate(
      np('bad', 'default', {
        selector: "app == 'backend-app'",
        egress: [{ action: 'Allow', destination: { selector: 'app ==' } }],
      })
    )
    let d = c.desired()
    assert.ok(chain(d, chainName('cali-po-', 'np/default/backend-to-postgres')))
    assert.equal(chain(d, 'cali-po-np/default/bad'), undefined)
    assert.equal(c.problems().length, 1)
    assert.equal(c.problems()[0]?.key, 'NetworkPolicy/default/bad')
    assert.match(c.problems()[0]?.reason ?? '', /spec\.egress\[0\]\.destination\.selector/)
    // Breaking the good policy keeps its previous rendering.
    c.onUpdate(np('backend-to-postgres', 'default', { selector: 'app ==', types: ['Egress'] }))
    d = c.desired()
    assert.ok(chain(d, chainName('cali-po-', 'np/default/backend-to-postgres')))
    assert.equal(c.problems().length, 2)
  })
})

void describe('policy calc: tiers, profiles, scoping', () => {
  void it('tiers in order; a Pass tier has no end-of-tier drop', () => {
    const c = backendCalc()
    c.onUpdate(tier('security', 10, 'Pass'))
    c.onUpdate(
      gnp('security.a', {
        tier: 'security',
        selector: 'all()',
        types: ['Ingress'],
        ingress: [{ action: 'Pass' }],
      })
    )
    c.onUpdate(
      gnp('b', { selector: 'all()', order: 5, types: ['Ingress'], ingress: [{ action: 'Allow' }] })
    )
    c.onUpdate(gnp('a', { selector: 'all()', order: 10, types: ['Ingress'] }))
    const rules = chain(c.desired(), 'cali-tw-cali1') ?? []
    assert.deepEqual(rules.slice(3, 12), [
      '-m comment --comment "Start of tier security" --jump MARK --set-mark 0/0x20000',
      '-m mark --mark 0/0x20000 --jump cali-pi-gnp/security.a',
      '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 --jump RETURN',
      '-m comment --comment "Start of tier default" --jump MARK --set-mark 0/0x20000',
      '-m mark --mark 0/0x20000 --jump cali-pi-gnp/b',
      '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 --jump RETURN',
      '-m mark --mark 0/0x20000 --jump cali-pi-gnp/a',
      '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 --jump RETURN',
      '-m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0/0x20000 --jump DROP',
    ])
  })

  void it('profiles with rules; service-account profiles without rules', () => {
    const c = createPolicyCalc({ nodeName: 'n1' })
    c.onUpdate(
      profile('kns.default', {}, undefined, {
        ingress: [
          { action: 'Deny', protocol: 'TCP', destination: { ports: [22] } },
          { action: 'Allow' },
        ],
      })
    )
    c.onUpdate(profile('ksa.default.sa', { 'pcsa.projectcalico.org/name': 'sa' }))
    c.onUpdate(wep({ name: 'w', node: 'n1', ip: '198.19.1.2', iface: 'cali2', sa: 'sa' }))
    const d = c.desired()
    assert.deepEqual(chain(d, 'cali-tw-cali2')?.slice(3), [
      '--jump cali-pri-kns.default',
      '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 --jump RETURN',
      '--jump cali-pri-ksa.default.sa',
      '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 --jump RETURN',
      '-m comment --comment "Drop if no profiles matched" --jump DROP',
    ])
    assert.deepEqual(chain(d, 'cali-pri-kns.default'), [
      '-m comment --comment "Profile kns.default ingress" -p tcp -m multiport --destination-ports 22 --jump MARK --set-mark 0x40000/0x40000',
      '-m mark --mark 0x40000/0x40000 --jump DROP',
      '--jump MARK --set-mark 0x10000/0x10000',
    ])
    // kns.default has egress rules? No: explicit ingress only, so egress has none and denies.
    assert.deepEqual(chain(d, 'cali-pro-kns.default'), [
      '-m comment --comment "Profile kns.default egress"',
    ])
    assert.deepEqual(chain(d, 'cali-pri-ksa.default.sa'), [
      '-m comment --comment "Profile ksa.default.sa ingress"',
    ])
  })

  void it('namespaceSelector matches namespace labels in any cluster; global() matches global network sets', () => {
    const c = backendCalc()
    c.onUpdate(nsProfile('prod', { env: 'prod' }))
    c.onUpdate(nsProfile('prod', { env: 'prod' }, 'b'))
    c.onUpdate(nsProfile('dev', { env: 'dev' }, 'b'))
    c.onUpdate(wep({ name: 'x', ns: 'prod', node: 'n2', ip: '198.19.2.1' }))
    c.onUpdate(wep({ name: 'y', ns: 'prod', node: 'm1', ip: '198.19.9.1', cluster: 'b' }))
    c.onUpdate(wep({ name: 'z', ns: 'dev', node: 'm1', ip: '198.19.9.2', cluster: 'b' }))
    c.onUpdate(netSet('ext', ['203.0.113.0/24'], { kind: 'ext' }))
    c.onUpdate(netSet('nsnet', ['192.0.2.0/24'], { kind: 'ext' }, 'prod'))
    c.onUpdate(
      np('p', 'default', {
        selector: "app == 'backend-app'",
        types: ['Egress'],
        egress: [
          { action: 'Allow', destination: { namespaceSelector: "env == 'prod'" } },
          {
            action: 'Allow',
            destination: { namespaceSelector: 'global()', selector: "kind == 'ext'" },
          },
          { action: 'Allow', destination: { selector: "kind == 'ext'" } },
        ],
      })
    )
    const d = c.desired()
    assert.deepEqual(setOf(d, sel("(pcns.env == 'prod')")), [
      '192.0.2.0/24',
      '198.19.2.1',
      '198.19.9.1',
    ])
    assert.deepEqual(setOf(d, sel("(!has(projectcalico.org/namespace)) && (kind == 'ext')")), [
      '203.0.113.0/24',
    ])
    assert.deepEqual(
      setOf(d, sel("(projectcalico.org/namespace == 'default') && (kind == 'ext')")),
      []
    )
  })

  void it('serviceAccounts match pcsa. labels and names; global() matches host endpoints, local and remote', () => {
    const c = backendCalc()
    c.onUpdate(
      profile('ksa.default.api', { 'pcsa.role': 'api', 'pcsa.projectcalico.org/name': 'api' })
    )
    c.onUpdate(
      profile('ksa.default.api', { 'pcsa.role': 'api', 'pcsa.projectcalico.org/name': 'api' }, 'b')
    )
    c.onUpdate(nsProfile('default', {}, 'b'))
    c.onUpdate(wep({ name: 'a', node: 'n2', ip: '198.19.2.3', sa: 'api' }))
    c.onUpdate(wep({ name: 'r', node: 'm1', ip: '198.19.9.3', sa: 'api', cluster: 'b' }))
    c.onUpdate(wep({ name: 'o', node: 'n2', ip: '198.19.2.4', sa: 'other' }))
    const hep = (key: string, ip: string): Parameters<typeof c.onUpdate>[0] => ({
      key,
      revision: '1',
      value: {
        kind: 'HostEndpoint',
        metadata: { name: key.split('/').pop() ?? '', labels: { role: 'node' } },
        spec: { node: 'x', expectedIPs: [ip], profiles: [] },
      },
    })
    c.onUpdate(hep('HostEndpoint/h1', '198.18.0.1'))
    c.onUpdate(hep('b/HostEndpoint/h2', '198.18.1.1'))
    c.onUpdate(
      np('p', 'default', {
        selector: "app == 'backend-app'",
        types: ['Egress'],
        egress: [
          { action: 'Allow', destination: { serviceAccounts: { selector: "role == 'api'" } } },
          { action: 'Allow', destination: { serviceAccounts: { names: ['other'] } } },
          {
            action: 'Allow',
            destination: { namespaceSelector: 'global()', selector: "role == 'node'" },
          },
        ],
      })
    )
    const d = c.desired()
    const ns = "projectcalico.org/namespace == 'default'"
    assert.deepEqual(setOf(d, sel(`(${ns}) && (pcsa.role == 'api')`)), ['198.19.2.3', '198.19.9.3'])
    assert.deepEqual(
      setOf(d, sel(`(${ns}) && (projectcalico.org/serviceaccount in { 'other' })`)),
      ['198.19.2.4']
    )
    assert.deepEqual(setOf(d, sel("(!has(projectcalico.org/namespace)) && (role == 'node')")), [
      '198.18.0.1',
      '198.18.1.1',
    ])
  })

  void it('the Kubernetes NetworkPolicy conversion renders as knp', async () => {
    const { fromKubernetes } = await import('@cattail/model')
    const res = fromKubernetes('networkpolicies', {
      metadata: { name: 'allow-fe', namespace: 'default' },
      spec: {
        podSelector: { matchLabels: { app: 'backend-app' } },
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { role: 'fe' } } }],
            ports: [{ protocol: 'TCP', port: 8080 }],
          },
        ],
      },
    })
    assert.ok(res.ok)
    const c = backendCalc()
    const r = res.resources[0]
    assert.ok(r)
    c.onUpdate({ key: 'NetworkPolicy/default/knp.default.allow-fe', value: r, revision: '1' })
    const d = c.desired()
    const rules = chain(d, 'cali-pi-knp/default/allow-fe') ?? []
    assert.equal(rules.length, 1, JSON.stringify(rules))
    assert.match(
      rules[0] ?? '',
      /^-m comment --comment "NetworkPolicy default\/knp.default.allow-fe ingress" -p tcp -m set --match-set cali40s:\S+ src -m multiport --destination-ports 8080 --jump MARK --set-mark 0x10000\/0x10000$/
    )
    assert.ok(
      chain(d, 'cali-tw-cali1')?.includes(
        '-m mark --mark 0/0x20000 --jump cali-pi-knp/default/allow-fe'
      )
    )
  })
})

void describe('policy calc: static chains, NAT, VXLAN allow-list, routes', () => {
  void it('renders dispatch, INPUT, FORWARD, nat-outgoing, the VTEP set and routes', () => {
    const c = backendCalc()
    c.onUpdate(node('n1', '198.18.0.1', '198.19.1.0'))
    c.onUpdate(node('m1', '198.18.1.1', '198.19.9.0', 'b'))
    c.onUpdate(pool('p', '198.19.0.0/20', true))
    c.onUpdate(pool('p', '198.19.8.0/21', true, 'b'))
    const d = c.desired()
    assert.deepEqual(setOf(d, 'cali40all-vxlan-net'), ['198.18.0.1', '198.18.1.1'])
    assert.deepEqual(setOf(d, 'cali40masq-ipam-pools'), ['198.19.0.0/20'])
    assert.deepEqual(setOf(d, 'cali40all-ipam-pools'), ['198.19.0.0/20', '198.19.8.0/21'])
    assert.deepEqual(d.chains[4].get('nat')?.get('cali-nat-outgoing')?.rules, [
      '-m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst --jump MASQUERADE',
    ])
    assert.deepEqual(chain(d, 'cali-INPUT'), [
      '-m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" -p 17 -m multiport --destination-ports 4789 -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL --jump ACCEPT',
      '-m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -p 17 -m multiport --destination-ports 4789 -m addrtype --dst-type LOCAL --jump DROP',
      '-i cali+ --goto cali-wl-to-host',
    ])
    assert.deepEqual(chain(d, 'cali-INPUT', 6), ['-i cali+ --goto cali-wl-to-host'])
    assert.deepEqual(chain(d, 'cali-from-wl-dispatch'), [
      '-i cali1 --goto cali-fw-cali1',
      '-m comment --comment "Unknown interface" --jump DROP',
    ])
    assert.deepEqual(chain(d, 'cali-to-wl-dispatch'), [
      '-o cali1 --goto cali-tw-cali1',
      '-m comment --comment "Unknown interface" --jump DROP',
    ])
    assert.deepEqual(d.workloadRoutes, [{ dst: '198.19.1.5/32', dev: 'cali1', family: 4 }])
    assert.equal(d.hooks.length, 4)
    // A new remote VTEP is a members-only change.
    c.takeChanges()
    c.onUpdate(node('m2', '198.18.1.2', '198.19.10.0', 'b'))
    const ch = c.takeChanges()
    assert.equal(ch.structural, false)
    assert.deepEqual(ch.members.get('cali40all-vxlan-net'), { add: ['198.18.1.2'], del: [] })
  })
})

void describe('policy calc endpoint labels', () => {
  void it('endpoints with one frozen own-labels map share one completed map; others get their own', async () => {
    const { EndpointLabels } = await import('./records.js')
    const shared = new EndpointLabels()
    const own = Object.freeze({ app: 'web' })
    const a = shared.complete(own, 'ns1', 'k8s', 'default')
    assert.equal(shared.complete(own, 'ns1', 'k8s', 'default'), a)
    assert.ok(Object.isFrozen(a))
    assert.deepEqual(a, {
      'projectcalico.org/namespace': 'ns1',
      'projectcalico.org/orchestrator': 'k8s',
      'projectcalico.org/serviceaccount': 'default',
      app: 'web',
    })
    const other = shared.complete(own, 'ns2', 'k8s', 'default')
    assert.notEqual(other, a)
    assert.equal(other['projectcalico.org/namespace'], 'ns2')
    assert.equal(
      shared.complete(own, 'ns1', 'k8s', undefined)['projectcalico.org/serviceaccount'],
      undefined
    )
    // A mutable map is never shared (its owner may change it).
    const mutable = { app: 'web' }
    const m = shared.complete(mutable, 'ns1', 'k8s', 'default')
    assert.deepEqual(m, a)
    assert.notEqual(shared.complete(mutable, 'ns1', 'k8s', 'default'), m)
    // Own labels win over the completed ones.
    const own2 = Object.freeze({ 'projectcalico.org/namespace': 'mine' })
    assert.equal(
      shared.complete(own2, 'ns1', 'k8s', undefined)['projectcalico.org/namespace'],
      'mine'
    )
  })
})

void describe('policy calc endpoint addresses', () => {
  void it('one address is kept as a string, several as a list; both read back as lists', async () => {
    const { addrsOf, packAddrs } = await import('./store.js')
    assert.equal(packAddrs(['198.19.1.5']), '198.19.1.5')
    assert.deepEqual(addrsOf({ addr: packAddrs(['198.19.1.5']) }), ['198.19.1.5'])
    const two = ['198.19.1.5', '2001:2::5']
    assert.deepEqual(addrsOf({ addr: packAddrs(two) }), two)
    assert.deepEqual(addrsOf({ addr: packAddrs([]) }), [])
  })
})

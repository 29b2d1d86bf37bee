/**
 * Root tests of the policy dataplane with REAL iptables/ip6tables (nft and legacy backends), ipset
 * and ip, in network namespaces of our own: node `H` (where the dataplane programs) and a
 * "workload" `C` joined by a veth whose host end is a `cali…` interface (198.18.0.0/24,
 * 2001:2::/64). A hand-written calc supplies desired states shaped like Felix's renderings.
 */
import { strict as assert } from 'node:assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { after, before, describe, it } from 'node:test'
import pino from 'pino'
import { waitFor } from '@cattail/common/testing'
import type { ChainSpec, IpsetSpec, PolicyDesired } from '../calc/policy/contract.js'
import { FelixConflictError } from '../errors.js'
import { addNetns, delNetns, isRoot, sh } from '../testing/netns.js'
import { FakePolicyCalc, desiredOf, netSet } from '../testing/fake-policy-calc.js'
import { nodeUpdate } from '../testing/calc-fixtures.js'
import { DEFAULT_DATAPLANE_LOOP_CONFIG } from './dataplane-loop.js'
import { ExecRunner, type RunOptions, type ToolRunner } from './drivers/exec.js'
import { KernelPolicyDriver } from './drivers/policy-driver.js'
import { ruleHashes } from './policy/iptables-hash.js'
import { DEFAULT_POLICY_DATAPLANE_CONFIG, type PolicyDataplaneConfig } from './policy/config.js'
import { createPolicyDataplane } from './policy-dataplane.js'
import { PolicyManager } from './policy-manager.js'

const skip = isRoot() ? false : 'needs root (network namespaces)'
const log = pino({ level: process.env['TEST_LOG'] === '1' ? 'debug' : 'silent' })
const IF = `cali${process.pid % 100000}t`
/** Any update: the fake calc ignores it, but it makes the manager look at the calc. */
const poke = nodeUpdate('h', { ip: '198.18.0.1/24' })

/** Records every command (tool, args, stdin) and forwards it to a real runner. */
class RecordingRunner implements ToolRunner {
  readonly calls: { tool: string; args: readonly string[]; stdin: string }[] = []
  constructor(private readonly inner: ToolRunner) {}
  run(tool: string, args: readonly string[], opts?: RunOptions): Promise<string> {
    this.calls.push({ tool, args, stdin: opts?.stdin ?? '' })
    return this.inner.run(tool, args, opts)
  }
  /** Calls that change the kernel. */
  writes(from = 0): { tool: string; args: readonly string[]; stdin: string }[] {
    return this.calls
      .slice(from)
      .filter(
        (c) => c.tool.endsWith('-restore') || c.args[0] === 'restore' || c.args.includes('-batch')
      )
  }
}

/** Felix-shaped chains of one family (marks: Accept 0x10000, Pass 0x20000). */
function chains(v: 4 | 6, port: number, withForward = true): ChainSpec[] {
  const p = `cali${v}0`
  const out: ChainSpec[] = [
    {
      name: 'cali-INPUT',
      rules: [
        ...(v === 6 ? ['-p ipv6-icmp --jump ACCEPT'] : []),
        `-p udp -m comment --comment "Allow IPv${v} VXLAN packets from allowed hosts" -m multiport --destination-ports 4789 -m set --match-set ${p}all-vxlan-net src -m addrtype --dst-type LOCAL --jump ACCEPT`,
        `-p udp -m comment --comment "Drop IPv${v} VXLAN packets from non-allowed hosts" -m multiport --destination-ports 4789 -m addrtype --dst-type LOCAL --jump DROP`,
        '-i cali+ --goto cali-wl-to-host',
      ],
    },
    {
      name: 'cali-wl-to-host',
      rules: [
        '--jump cali-from-wl-dispatch',
        '-m comment --comment "Configured DefaultEndpointToHostAction" --jump ACCEPT',
      ],
    },
    {
      name: 'cali-from-wl-dispatch',
      rules: [
        `-i ${IF} --goto cali-fw-${IF}`,
        '-m comment --comment "Unknown interface" --jump DROP',
      ],
    },
    {
      name: `cali-fw-${IF}`,
      rules: [
        '-m conntrack --ctstate RELATED,ESTABLISHED --jump ACCEPT',
        '-m conntrack --ctstate INVALID --jump DROP',
        '--jump MARK --set-mark 0/0x30000',
        '-m comment --comment "Start of tier default" --jump MARK --set-mark 0/0x20000',
        '-m mark --mark 0/0x20000 --jump cali-po-np/default/allow',
        '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 --jump RETURN',
        '-m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0/0x20000 --jump DROP',
        '-m comment --comment "Drop if no profiles matched" --jump DROP',
      ],
    },
    {
      name: 'cali-po-np/default/allow',
      rules: [
        `-m comment --comment "NetworkPolicy default/allow egress" -p udp -m set --match-set ${p}s:allowed src -m multiport --destination-ports ${port} --jump MARK --set-mark 0x10000/0x10000`,
      ],
    },
  ]
  if (withForward)
    out.push({ name: 'cali-FORWARD', rules: ['-i cali+ --jump cali-from-wl-dispatch'] })
  return out
}

/** The chains without the policy (its chain and the jump to it). */
const withoutPolicy = (cs: ChainSpec[]): ChainSpec[] =>
  cs
    .filter((c) => !c.name.startsWith('cali-po-'))
    .map((c) => ({ ...c, rules: c.rules.filter((r) => !r.includes('cali-po-')) }))

function ipsets(withV6Allowed = true): IpsetSpec[] {
  return [
    netSet('cali40all-vxlan-net', 4, ['198.18.0.2']),
    netSet('cali60all-vxlan-net', 6, []),
    netSet('cali40s:allowed', 4, ['198.18.0.2/32']),
    ...(withV6Allowed ? [netSet('cali60s:allowed', 6, ['2001:2::2'])] : []),
  ]
}

function desiredV(port: number, o: { forward?: boolean; v6Allowed?: boolean } = {}): PolicyDesired {
  const fwd = o.forward ?? true
  return desiredOf({
    ipsets: ipsets(o.v6Allowed ?? true),
    v4: { filter: chains(4, port, fwd) },
    v6: {
      filter: (o.v6Allowed ?? true) ? chains(6, port, fwd) : withoutPolicy(chains(6, port, fwd)),
    },
    hooks: [
      { table: 'filter', builtin: 'INPUT', target: 'cali-INPUT' },
      ...(fwd
        ? [{ table: 'filter' as const, builtin: 'FORWARD' as const, target: 'cali-FORWARD' }]
        : []),
    ],
    routes: [
      { dst: '198.18.0.2/32', dev: IF, family: 4 },
      { dst: '2001:2::2/128', dev: IF, family: 6 },
    ],
  })
}

for (const backend of ['nft', 'legacy'] as const) {
  describe(`policy dataplane (${backend}, real iptables + ipset in netns)`, { skip }, () => {
    const H = `ct-pol-${process.pid}-${backend}-h`
    const C = `ct-pol-${process.pid}-${backend}-c`
    const cfg: PolicyDataplaneConfig = {
      ...DEFAULT_POLICY_DATAPLANE_CONFIG,
      iptablesBackend: backend,
      felixGuardRepairs: 2,
      commandTimeoutMs: 20_000,
    }
    const inH = (...args: string[]): Promise<string> => sh('ip', 'netns', 'exec', H, ...args)
    const ipt = (family: 4 | 6, ...args: string[]): Promise<string> =>
      inH(`${family === 4 ? 'iptables' : 'ip6tables'}-${backend}`, ...args)
    const save = (family: 4 | 6): Promise<string> =>
      inH(`${family === 4 ? 'iptables' : 'ip6tables'}-${backend}-save`, '-t', 'filter')
    const runner = new RecordingRunner(new ExecRunner(H, 20_000))
    const calc = new FakePolicyCalc(desiredV(9000))
    let driver = new KernelPolicyDriver(cfg, runner, log)
    let manager = new PolicyManager(calc, driver, log)
    const listeners: ChildProcess[] = []

    before(async () => {
      await addNetns(H)
      await addNetns(C)
      await sh('ip', '-n', H, 'link', 'add', IF, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', C)
      await sh('ip', '-n', H, 'addr', 'add', '198.18.0.1/24', 'dev', IF)
      await sh('ip', '-n', H, 'addr', 'add', '2001:2::1/64', 'dev', IF, 'nodad')
      for (const a of ['198.18.0.2/24', '198.18.0.3/24'])
        await sh('ip', '-n', C, 'addr', 'add', a, 'dev', 'eth0')
      await sh('ip', '-n', C, 'addr', 'add', '2001:2::2/64', 'dev', 'eth0', 'nodad')
      await sh('ip', '-n', H, 'link', 'set', IF, 'up')
      await sh('ip', '-n', C, 'link', 'set', 'eth0', 'up')
      // Left-overs and foreign state: a stale chain of ours with a stale hook, a foreign chain
      // and rule, a stale set of ours and a foreign set.
      await ipt(4, '-N', 'cali-old')
      await ipt(4, '-A', 'cali-old', '-j', 'ACCEPT')
      await ipt(4, '-A', 'OUTPUT', '-m', 'comment', '--comment', 'cali:stalehook', '-j', 'cali-old')
      await ipt(4, '-N', 'KUBE-X')
      await ipt(4, '-A', 'INPUT', '-p', 'tcp', '--dport', '1', '-j', 'KUBE-X')
      await inH('ipset', 'create', 'cali40old', 'hash:net')
      await inH('ipset', 'create', 'kube-x', 'hash:ip')
    })
    after(async () => {
      for (const l of listeners) l.kill('SIGKILL')
      await delNetns(H)
      await delNetns(C)
    })

    it('programs from empty: ipsets before rules, hash comments, hooks on top, stale removed, routes', async () => {
      manager.onUpdate(poke)
      manager.completeDeferredWork()
      const r = await driver.apply()
      assert.equal(r.status, 'programmed')
      assert.equal(driver.backend, backend)
      const w = runner.writes()
      const firstIpt = w.findIndex((c) => c.tool.endsWith('-restore'))
      const createIdx = w.findIndex((c) => c.stdin.includes('create cali40s:allowed'))
      const destroyIdx = w.findIndex((c) => c.stdin.includes('destroy cali40old'))
      assert.ok(createIdx >= 0 && createIdx < firstIpt, 'sets created before the rules')
      assert.ok(
        destroyIdx > w.findLastIndex((c) => c.tool.endsWith('-restore')),
        'sets destroyed after'
      )
      for (const family of [4, 6] as const) {
        const s = await save(family)
        const [h0] = ruleHashes('cali-INPUT', chains(family, 9000)[0]?.rules ?? [])
        assert.match(s, new RegExp(`-A cali-INPUT .*cali:${h0}`))
        for (const line of s.split('\n').filter((l) => l.startsWith('-A cali-')))
          assert.match(line, /--comment "?cali:[A-Za-z0-9_-]{16}"?/, line)
        assert.match(s, /-A FORWARD -m comment --comment "?cali:wUHhoiAYhphO9Mso"? -j cali-FORWARD/)
        const input = s.split('\n').filter((l) => l.startsWith('-A INPUT'))
        assert.match(input[0] ?? '', /-j cali-INPUT/, 'hook at the top of INPUT')
      }
      const s4 = await save(4)
      assert.doesNotMatch(s4, /cali-old|stalehook/)
      assert.match(s4, /-A INPUT -p tcp .*-j KUBE-X/)
      const sets = await inH('ipset', 'list', '-n')
      assert.doesNotMatch(sets, /cali40old/)
      assert.match(sets, /kube-x/)
      assert.match(sets, /cali40s:allowed/)
      assert.match(sets, /cali60s:allowed/)
      const routes4 = await sh('ip', '-n', H, '-4', 'route', 'show', 'proto', '3')
      assert.match(routes4, new RegExp(`198\\.18\\.0\\.2 dev ${IF} scope link`))
      const routes6 = await sh('ip', '-n', H, '-6', 'route', 'show', 'proto', '3')
      assert.match(routes6, new RegExp(`2001:2::2 dev ${IF}`))
    })

    it('an unchanged re-apply and a resync write nothing', async () => {
      const from = runner.calls.length
      manager.onUpdate(poke)
      manager.completeDeferredWork()
      await driver.apply()
      driver.markForResync()
      const r = await driver.apply()
      assert.equal(r.resynced, true)
      assert.equal(r.changes, 0)
      assert.deepEqual(runner.writes(from), [])
    })

    it('an agent restart with unchanged kernel state issues zero writes', async () => {
      driver = new KernelPolicyDriver(cfg, runner, log)
      manager = new PolicyManager(calc, driver, log)
      const from = runner.calls.length
      manager.onUpdate(poke)
      manager.completeDeferredWork()
      const r = await driver.apply()
      assert.equal(r.changes, 0)
      assert.deepEqual(runner.writes(from), [])
      assert.equal(driver.stats.iptablesRestores, 0)
      assert.equal(driver.stats.ipsetRestores, 0)
    })

    it('a membership-only change touches only the ipset', async () => {
      const from = runner.calls.length
      calc.changeMembers('cali40s:allowed', ['198.18.0.3'])
      manager.onUpdate(poke)
      manager.completeDeferredWork()
      await driver.apply()
      const w = runner.writes(from)
      assert.equal(w.length, 1)
      assert.deepEqual(w[0]?.args, ['restore'])
      assert.equal(w[0]?.stdin, 'add cali40s:allowed 198.18.0.3 -exist\n')
      assert.equal(driver.stats.iptablesRestores, 0)
      assert.match(await inH('ipset', 'list', 'cali40s:allowed'), /198\.18\.0\.3/)
      calc.changeMembers('cali40s:allowed', [], ['198.18.0.3'])
      manager.onUpdate(poke)
      manager.completeDeferredWork()
      await driver.apply()
      assert.doesNotMatch(await inH('ipset', 'list', 'cali40s:allowed'), /198\.18\.0\.3/)
      assert.equal(driver.stats.iptablesRestores, 0)
    })

    it('a structural change rewrites only the changed chain', async () => {
      const from = runner.calls.length
      calc.setDesired(desiredV(9001))
      manager.onUpdate(poke)
      manager.completeDeferredWork()
      await driver.apply()
      const w = runner.writes(from)
      assert.equal(w.length, 2, 'one transaction per family')
      for (const c of w) {
        const chainsWritten = [...c.stdin.matchAll(/^:(\S+)/gm)].map((m) => m[1])
        assert.deepEqual(chainsWritten, ['cali-po-np/default/allow'])
      }
      assert.match(await save(4), /--dports 9001/)
    })

    it('drift (a rule replaced by hand) is repaired on resync; repeated drift trips the Felix guard', async () => {
      await ipt(4, '-R', `cali-fw-${IF}`, '3', '-j', 'ACCEPT')
      const before = driver.stats.iptablesRestores
      driver.markForResync()
      await driver.apply()
      assert.equal(driver.stats.iptablesRestores, before + 1)
      assert.equal(driver.stats.driftRepairs, 1)
      const s = await save(4)
      const fw = s.split('\n').filter((l) => l.startsWith(`-A cali-fw-${IF} `))
      assert.equal(fw.length, 8)
      assert.match(fw[2] ?? '', /MARK --set-xmark 0x0\/0x30000/)
      // Someone keeps rewriting our chains: the second repair within the window is fatal.
      await ipt(4, '-D', `cali-fw-${IF}`, '1')
      driver.markForResync()
      await assert.rejects(driver.apply(), (err: unknown) => {
        assert.ok(err instanceof FelixConflictError)
        assert.match(err.message, /CALICO_DISABLE_FELIX=true/)
        return true
      })
    })

    it('removed chains and sets are deleted, the sets after the rules', async () => {
      driver = new KernelPolicyDriver(cfg, runner, log)
      manager = new PolicyManager(calc, driver, log)
      manager.onUpdate(poke)
      manager.completeDeferredWork()
      await driver.apply() // repairs the last drift (a fresh agent has no history)
      const from = runner.calls.length
      calc.setDesired(desiredV(9001, { forward: false, v6Allowed: false }))
      manager.onUpdate(poke)
      manager.completeDeferredWork()
      await driver.apply()
      const w = runner.writes(from)
      const destroy = w.findIndex((c) => c.stdin.includes('destroy cali60s:allowed'))
      assert.ok(destroy > w.findLastIndex((c) => c.tool.endsWith('-restore')))
      assert.doesNotMatch(await inH('ipset', 'list', '-n'), /cali60s:allowed/)
      const s6 = await save(6)
      assert.doesNotMatch(s6, /cali-FORWARD|cali-po-/)
      assert.doesNotMatch(await save(4), /-A FORWARD .*cali-FORWARD/)
      calc.setDesired(desiredV(9000))
      manager.onUpdate(poke)
      manager.completeDeferredWork()
      await driver.apply()
    })

    it(
      'packets: the rendered chains give ACCEPT/DROP verdicts; VXLAN only from listed VTEPs',
      { skip: backend !== 'nft' },
      async () => {
        // The production composition with its loop, driving the same namespace.
        const lines: string[] = []
        const listener = spawn('ip', [
          'netns',
          'exec',
          H,
          process.execPath,
          '-e',
          "const d=require('dgram');for(const p of [4789,9000]){const s=d.createSocket('udp4');" +
            "s.on('message',(m,r)=>console.log(p+' '+r.address+' '+m));s.bind(p,'0.0.0.0',()=>console.log('ready '+p))}",
        ])
        listeners.push(listener)
        createInterface({ input: listener.stdout }).on('line', (l) => lines.push(l))
        await waitFor(() => lines.includes('ready 4789') && lines.includes('ready 9000'), {
          timeoutMs: 10_000,
          what: 'listener',
        })
        const send = (src: string, port: number, msg: string): Promise<string> =>
          sh(
            'ip',
            'netns',
            'exec',
            C,
            process.execPath,
            '-e',
            "const [src,port,msg]=process.argv.slice(1);const s=require('dgram').createSocket('udp4');" +
              "s.bind({address:src},()=>s.send(msg,+port,'198.18.0.1',()=>s.close()))",
            src,
            String(port),
            msg
          )
        const pcalc = new FakePolicyCalc(desiredV(9000))
        const dp = createPolicyDataplane({
          nodeName: 'h',
          policy: cfg,
          loop: DEFAULT_DATAPLANE_LOOP_CONFIG,
          log,
          calcFactory: () => pcalc,
          runner: new ExecRunner(H, 20_000),
        })
        await dp.start()
        try {
          dp.loop.setGate(true)
          await waitFor(() => dp.loop.status === 'programmed', {
            timeoutMs: 20_000,
            what: 'programmed',
          })
          await send('198.18.0.3', 4789, 'vxlan-unknown')
          await send('198.18.0.2', 4789, 'vxlan-known')
          await waitFor(() => lines.includes('4789 198.18.0.2 vxlan-known'), {
            what: 'VXLAN from a listed VTEP',
          })
          assert.ok(
            !lines.some((l) => l.includes('vxlan-unknown')),
            'VXLAN from an unknown source dropped'
          )
          await send('198.18.0.3', 9000, 'denied')
          await send('198.18.0.2', 9000, 'allowed')
          await waitFor(() => lines.includes('9000 198.18.0.2 allowed'), { what: 'allowed packet' })
          assert.ok(!lines.some((l) => l.includes('denied')), 'policy DROP')
          // A membership change flips the verdict without touching iptables.
          const restores = dp.driver.stats.iptablesRestores
          pcalc.changeMembers('cali40s:allowed', ['198.18.0.3'])
          dp.onUpdates([poke])
          await waitFor(
            async () => (await inH('ipset', 'list', 'cali40s:allowed')).includes('198.18.0.3'),
            { what: 'delta applied' }
          )
          await send('198.18.0.3', 9000, 'now-allowed')
          await waitFor(() => lines.includes('9000 198.18.0.3 now-allowed'), {
            what: 'relabelled source passes',
          })
          assert.equal(dp.driver.stats.iptablesRestores, restores)
        } finally {
          await dp.stop()
        }
      }
    )
  })
}

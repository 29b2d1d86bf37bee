import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { policyFixtures as f } from '@cattail/agent/testing'
import { FakeSyncServer } from '@cattail/syncproto/testing'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../../', import.meta.url))

async function cattail(args: string[]): Promise<{ stdout: string; code: number }> {
  try {
    const r = await run(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'packages/cli/src/main.ts', ...args],
      { cwd: root, timeout: 60_000 }
    )
    return { stdout: r.stdout, code: 0 }
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number }
    return { stdout: `${e.stdout ?? ''}${e.stderr ?? ''}`, code: e.code ?? -1 }
  }
}

void describe('cattail policy trace (against a sync server)', () => {
  void it('prints the verdict and the deciding tier, policy and rule as JSON and text', async (t) => {
    const server = await FakeSyncServer.start({
      initial: [
        f.nsProfile('default'),
        f.nsProfile('default', {}, 'b'),
        f.wep({
          name: 'backend',
          node: 'n1',
          ip: '198.19.1.5',
          iface: 'cali1',
          labels: { app: 'backend-app' },
        }),
        f.wep({
          name: 'pg',
          node: 'm1',
          ip: '198.19.9.9',
          labels: { app: 'postgres' },
          cluster: 'b',
        }),
        f.np('backend-to-postgres', 'default', {
          selector: "app == 'backend-app'",
          types: ['Ingress', 'Egress'],
          egress: [
            {
              action: 'Allow',
              protocol: 'TCP',
              destination: { selector: "app == 'postgres'", ports: [5432] },
            },
          ],
        }),
      ],
    })
    t.after(() => server.stop())
    const base = [
      'policy',
      'trace',
      '--cache',
      server.url,
      '--from',
      'WorkloadEndpoint/default/backend',
      '--protocol',
      'tcp',
    ]
    const allow = await cattail([
      ...base,
      '--to',
      'b/WorkloadEndpoint/default/pg',
      '--port',
      '5432',
      '-o',
      'json',
    ])
    assert.equal(allow.code, 0, allow.stdout)
    const j = JSON.parse(allow.stdout) as Record<string, Record<string, unknown>>
    assert.equal(j['verdict'], 'allow')
    assert.equal(j['egress']?.['tier'], 'default')
    assert.equal(j['egress']?.['policy'], 'np/default/backend-to-postgres')
    assert.equal(j['egress']?.['ruleIndex'], 0)
    assert.equal(j['ingress']?.['evaluated'], false)
    const deny = await cattail([...base, '--to', '198.19.9.9', '--port', '22'])
    assert.equal(deny.code, 0, deny.stdout)
    assert.match(deny.stdout, /egress : DENY by default: end of tier default/)
    assert.match(deny.stdout, /verdict: DENY/)
    const bad = await cattail([...base, '--to', 'WorkloadEndpoint/nope/x'])
    assert.equal(bad.code, 2)
    assert.match(bad.stdout, /neither a known endpoint key nor an IP address/)
  })
})

const MANIFESTS = `apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: v1
kind: Pod
metadata: { name: backend, namespace: shop, labels: { app: backend-app } }
spec: { nodeName: node-1, containers: [{ name: c }] }
status: { phase: Running, podIP: 198.19.1.4 }
---
apiVersion: v1
kind: Pod
metadata: { name: pg, namespace: shop, labels: { app: postgres } }
spec: { nodeName: node-2, containers: [{ name: c }] }
status: { phase: Running, podIP: 198.19.2.4 }
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: { name: backend-to-postgres, namespace: shop }
spec:
  selector: app == 'backend-app'
  types: [Ingress, Egress]
  egress:
    - action: Allow
      protocol: TCP
      destination: { selector: app == 'postgres', ports: [5432] }
`

void describe('cattail policy trace (against the file datastore)', () => {
  void it('reads the datastore with the flags of cattail cache', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `cattail-trace-${process.pid}-`))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'cluster.yaml'), MANIFESTS)
    const base = ['policy', 'trace', '--datastore-type', 'file', '--file-dir', dir]
    const args = [
      '--remote-clusters',
      'false',
      '--from',
      '198.19.1.4',
      '--to',
      '198.19.2.4',
      '-o',
      'json',
    ]
    const r = await cattail([...base, ...args, '--port', '5432'])
    assert.equal(r.code, 0, r.stdout)
    const j = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>
    assert.equal(j['verdict'], 'allow')
    assert.equal(j['egress']?.['policy'], 'np/shop/backend-to-postgres')
    assert.equal(j['ingress']?.['profile'], 'kns.shop')
    const d = await cattail([...base, ...args, '--port', '80'])
    assert.equal((JSON.parse(d.stdout) as Record<string, unknown>)['verdict'], 'deny')
  })
})

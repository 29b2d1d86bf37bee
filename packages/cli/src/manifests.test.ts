import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { AGENT_RUNTIME_ENV, agentCommand } from '@cattail/agent'
import { cacheCommand } from '@cattail/cache'
import { type TempDir, tempDir } from '@cattail/common/testing'
import { type TestApiServer, startTestApiServer } from '@cattail/testapi'

const dir = fileURLToPath(new URL('../../../docker/manifests/', import.meta.url))
const KUBECTL = process.env['KUBECTL_BIN'] ?? '/usr/bin/kubectl'

interface Container {
  name?: string
  args?: string[]
  env?: { name: string; value?: string }[]
  livenessProbe?: { httpGet?: { port?: number | string } }
  readinessProbe?: { httpGet?: { port?: number | string } }
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  securityContext?: {
    readOnlyRootFilesystem?: boolean
    allowPrivilegeEscalation?: boolean
    privileged?: boolean
    capabilities?: { add?: string[]; drop?: string[] }
  }
  volumeMounts?: { name: string; mountPath: string }[]
}
interface PodSpec {
  serviceAccountName?: string
  priorityClassName?: string
  affinity?: { podAntiAffinity?: unknown }
  securityContext?: { seccompProfile?: { type?: string } }
  containers?: Container[]
  volumes?: { name: string; hostPath?: { path: string } }[]
}
type Doc = Record<string, unknown> & { kind?: string; metadata?: { name?: string } }

/** Every YAML file below docker/manifests, recursively. */
function yamlFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(d, e.name)) : e.name.endsWith('.yaml') ? [join(d, e.name)] : []
  )
}
const docs = yamlFiles(dir).flatMap((f) =>
  parseAllDocuments(readFileSync(f, 'utf8')).map((d) => ({
    file: f.slice(dir.length),
    doc: d.toJS() as Doc,
  }))
)
const podSpecOf = (d: Doc): PodSpec | undefined =>
  (d['spec'] as { template?: { spec?: PodSpec } } | undefined)?.template?.spec
const workloads = docs.filter(({ doc }) => podSpecOf(doc) !== undefined)
const containers = workloads.flatMap(({ file, doc }) =>
  (podSpecOf(doc)?.containers ?? []).map((c) => ({ file, c }))
)
const workload = (name: string): PodSpec => {
  const w = workloads.find(({ doc }) => doc.metadata?.name === name)
  assert.ok(w, `no workload ${name}`)
  const spec = podSpecOf(w.doc)
  assert.ok(spec)
  return spec
}

const run = (args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(KUBECTL, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, stdout, stderr })
    })
  })

void describe('docker manifests', () => {
  void it('parse as YAML, and every document has apiVersion, kind and a name', () => {
    assert.ok(docs.length > 10)
    for (const { file, doc } of docs) {
      assert.equal(typeof doc['apiVersion'], 'string', file)
      assert.equal(typeof doc['kind'], 'string', file)
      if (doc.kind !== 'Kustomization' && doc.kind !== 'Component') {
        assert.equal(typeof doc.metadata?.name, 'string', file)
      }
    }
  })

  void it('set only environment variables the commands read, and probe the default health ports', () => {
    const known = new Map([
      ['cache', { cmd: cacheCommand(), health: 9098 }],
      ['agent', { cmd: agentCommand(), health: 9099 }],
    ])
    // The federation command is checked the same way once it is in the program (health 9096).
    assert.deepEqual(containers.map(({ c }) => c.args?.[0]).sort(), [
      'agent',
      'cache',
      'federation',
    ])
    for (const { file, c } of containers) {
      const role = known.get(c.args?.[0] ?? '')
      if (c.args?.[0] === 'federation') {
        assert.equal(Number(c.livenessProbe?.httpGet?.port), 9096, file)
        continue
      }
      assert.ok(role, `${file}: unknown role ${c.args?.[0]}`)
      const envVars = new Set(role.cmd.options.map((o) => o.envVar))
      envVars.add('NODENAME')
      if (c.args?.[0] === 'agent') for (const k of Object.keys(AGENT_RUNTIME_ENV)) envVars.add(k)
      for (const e of c.env ?? [])
        assert.ok(envVars.has(e.name), `${file}: ${e.name} is not read by cattail ${c.args?.[0]}`)
      assert.equal(Number(c.livenessProbe?.httpGet?.port), role.health, file)
      assert.equal(Number(c.readinessProbe?.httpGet?.port), role.health, file)
    }
  })

  void it('create every ServiceAccount a workload or binding names', () => {
    const sas = new Set(
      docs.filter(({ doc }) => doc.kind === 'ServiceAccount').map(({ doc }) => doc.metadata?.name)
    )
    for (const { file, doc } of workloads)
      assert.ok(sas.has(podSpecOf(doc)?.serviceAccountName), `${file}: service account missing`)
    for (const { file, doc } of docs.filter(({ doc }) => doc.kind?.endsWith('Binding') === true))
      for (const s of (doc['subjects'] ?? []) as { kind: string; name: string }[])
        if (s.kind === 'ServiceAccount') assert.ok(sas.has(s.name), `${file}: ${s.name} missing`)
  })

  void it('run the agent with NET_ADMIN and NET_RAW (legacy iptables) only, seccomp, read-only root, xtables.lock and the host /proc but not /lib/modules', () => {
    const agent = workload('cattail-agent')
    const c = agent.containers?.[0]
    assert.deepEqual(c?.securityContext?.capabilities, {
      add: ['NET_ADMIN', 'NET_RAW'],
      drop: ['ALL'],
    })
    assert.equal(c?.securityContext?.readOnlyRootFilesystem, true)
    assert.equal(c?.securityContext?.allowPrivilegeEscalation, false)
    assert.equal(agent.securityContext?.seccompProfile?.type, 'RuntimeDefault')
    const hostPaths = (agent.volumes ?? []).flatMap((v) => (v.hostPath ? [v.hostPath.path] : []))
    // xtables.lock for iptables; the host's /proc (read-only) to refuse to run beside Felix
    assert.deepEqual(hostPaths, ['/run/xtables.lock', '/proc'])
  })

  void it('run the agent with exactly the runtime settings the agent-memory benchmark measures', () => {
    const env = new Map(
      (workload('cattail-agent').containers?.[0]?.env ?? []).map((e) => [e.name, e.value])
    )
    for (const [k, v] of Object.entries(AGENT_RUNTIME_ENV)) assert.equal(env.get(k), v, k)
  })

  void it('run caches spread over nodes, with memory limits, a priority class and a PodDisruptionBudget', () => {
    const cache = workload('cattail-cache')
    assert.ok(cache.affinity?.podAntiAffinity)
    assert.ok(cache.priorityClassName)
    assert.ok(cache.containers?.[0]?.resources?.limits?.['memory'])
    assert.ok(docs.some(({ doc }) => doc.kind === 'PodDisruptionBudget'))
    for (const name of ['cattail-cache', 'cattail-agent', 'cattail-federation']) {
      assert.equal(
        workload(name).securityContext?.seccompProfile?.type,
        'RuntimeDefault',
        `${name}: seccomp`
      )
    }
  })

  void it('use mutual TLS between agents and caches by default', () => {
    const env = (name: string): Map<string, string | undefined> =>
      new Map((workload(name).containers?.[0]?.env ?? []).map((e) => [e.name, e.value]))
    const cache = env('cattail-cache')
    for (const k of [
      'CATTAIL_CACHE_TLS_CERT_FILE',
      'CATTAIL_CACHE_TLS_KEY_FILE',
      'CATTAIL_CACHE_TLS_CA_FILE',
    ])
      assert.ok(cache.get(k), k)
    assert.equal(cache.get('CATTAIL_CACHE_CLIENT_CN'), 'cattail-agent')
    const agent = env('cattail-agent')
    for (const k of [
      'CATTAIL_AGENT_TLS_CA_FILE',
      'CATTAIL_AGENT_TLS_CERT_FILE',
      'CATTAIL_AGENT_TLS_KEY_FILE',
    ])
      assert.ok(agent.get(k), k)
    assert.equal(agent.get('CATTAIL_AGENT_TLS_SERVER_CN'), 'cattail-cache')
  })

  void it('render with kubectl kustomize: the base, every overlay (and so every component), the remote-cluster kit', async () => {
    const roots = [
      '.',
      'remote-cluster',
      ...readdirSync(join(dir, 'overlays')).map((o) => `overlays/${o}`),
    ]
    for (const root of roots) {
      const r = await run(['kustomize', join(dir, root)])
      assert.equal(r.code, 0, `${root}: ${r.stderr}`)
      assert.match(r.stdout, /kind: /, root)
    }
    const monitoring = await run(['kustomize', join(dir, 'overlays/monitoring')])
    assert.match(monitoring.stdout, /kind: ServiceMonitor/)
    assert.match(monitoring.stdout, /kind: Certificate/)
  })

  void describe('against the test API server', () => {
    let api: TestApiServer
    let tmp: TempDir
    let kubeconfig: string
    before(async () => {
      api = await startTestApiServer()
      tmp = await tempDir('cattail-manifests-')
      kubeconfig = await api.writeKubeconfig(tmp.path)
    })
    after(async () => {
      await api.stop()
      await tmp.remove()
    })

    void it('accepts every base and remote-cluster manifest with kubectl apply --dry-run=server (CRDs applied first)', async () => {
      const crds = await run([
        '--kubeconfig',
        kubeconfig,
        'apply',
        '-f',
        join(dir, 'base/crds.yaml'),
      ])
      assert.equal(crds.code, 0, crds.stderr)
      const rev = api.revision
      for (const root of ['.', 'remote-cluster']) {
        const r = await run([
          '--kubeconfig',
          kubeconfig,
          'apply',
          '--dry-run=server',
          '-k',
          join(dir, root),
        ])
        assert.equal(r.code, 0, `${root}: ${r.stderr}`)
        assert.match(
          r.stdout,
          /daemonset.apps\/cattail-agent created \(server dry run\)|clusterrole/
        )
      }
      assert.equal(api.revision, rev, 'a dry run stores nothing')
      assert.equal(api.get('deployments.apps', 'cattail-cache', 'cattail-system'), undefined)
    })
  })
})

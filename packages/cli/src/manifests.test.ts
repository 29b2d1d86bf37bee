import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { AGENT_RUNTIME_ENV, agentCommand } from '@cattail/agent'
import { cacheCommand } from '@cattail/cache'
import { type TempDir, tempDir } from '@cattail/common/testing'
import { type TestApiServer, startTestApiServer } from '@cattail/testapi'

const dir = fileURLToPath(new URL('../../../docker/manifests/', import.meta.url))
/** Stand-ins for the third-party CRDs the components need (see the files' comments). */
const testdata = fileURLToPath(new URL('./testdata/', import.meta.url))
const THIRD_PARTY_CRDS = ['cert-manager-crds.yaml', 'prometheus-operator-crds.yaml']
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
    // kubectl with its discovery cache in the test's folder
    const kubectl = (...args: string[]): ReturnType<typeof run> =>
      run(['--kubeconfig', kubeconfig, '--cache-dir', join(tmp.path, 'cache'), ...args])
    const dryRun = (root: string): ReturnType<typeof run> =>
      kubectl('apply', '--dry-run=server', '-k', root)
    before(async () => {
      api = await startTestApiServer()
      tmp = await tempDir('cattail-manifests-')
      kubeconfig = await api.writeKubeconfig(tmp.path)
    })
    after(async () => {
      await api.stop()
      await tmp.remove()
    })

    // The tests below run in order: project CRDs, then the overlays without and with the
    // third-party CRDs (the test server serves a CRD's kinds once it is applied, as a real one).
    void it('accepts every base and remote-cluster manifest with kubectl apply --dry-run=server (CRDs applied first)', async () => {
      const crds = await kubectl('apply', '-f', join(dir, 'base/crds.yaml'))
      assert.equal(crds.code, 0, crds.stderr)
      const rev = api.revision
      for (const root of ['.', 'remote-cluster']) {
        const r = await dryRun(join(dir, root))
        assert.equal(r.code, 0, `${root}: ${r.stderr}`)
        assert.match(
          r.stdout,
          /daemonset.apps\/cattail-agent created \(server dry run\)|clusterrole/
        )
      }
      assert.equal(api.revision, rev, 'a dry run stores nothing')
      assert.equal(api.get('deployments.apps', 'cattail-cache', 'cattail-system'), undefined)
    })

    void it('refuses the overlays while their third-party CRDs are missing, with kubectl\'s "no matches for kind"', async () => {
      const noMatch = (kind: string, gv: string): RegExp =>
        new RegExp(
          `resource mapping not found for name: .*no matches for kind "${kind}" in version "${gv}"`
        )
      const cm = await dryRun(join(dir, 'overlays/cert-manager'))
      assert.notEqual(cm.code, 0)
      assert.match(cm.stderr, noMatch('Certificate', 'cert-manager.io/v1'))
      assert.match(cm.stderr, noMatch('Issuer', 'cert-manager.io/v1'))
      assert.match(cm.stderr, /ensure CRDs are installed first/)
      // with cert-manager's CRDs, the monitoring overlay still misses the Prometheus Operator's
      const crds = await kubectl('apply', '-f', join(testdata, 'cert-manager-crds.yaml'))
      assert.equal(crds.code, 0, crds.stderr)
      const mon = await dryRun(join(dir, 'overlays/monitoring'))
      assert.notEqual(mon.code, 0)
      assert.match(mon.stderr, noMatch('ServiceMonitor', 'monitoring.coreos.com/v1'))
      assert.match(mon.stderr, noMatch('PodMonitor', 'monitoring.coreos.com/v1'))
      assert.doesNotMatch(mon.stderr, /cert-manager\.io/)
      assert.match(
        mon.stdout,
        /certificate\.cert-manager\.io\/cattail-ca created \(server dry run\)/
      )
    })

    void it('accepts every overlay and every combination of components with kubectl apply --dry-run=server once the third-party CRDs are applied', async () => {
      for (const f of THIRD_PARTY_CRDS) {
        const r = await kubectl('apply', '-f', join(testdata, f))
        assert.equal(r.code, 0, `${f}: ${r.stderr}`)
      }
      const est = await kubectl(
        'wait',
        '--for=condition=Established',
        '--timeout=10s',
        'crd',
        '--all'
      )
      assert.equal(est.code, 0, est.stderr)
      const rev = api.revision
      const roots = readdirSync(join(dir, 'overlays')).map((o) => join(dir, 'overlays', o))
      // the base with each non-empty set of components, each set in its own kustomization (paths
      // relative: kustomize refuses absolute ones)
      const components = readdirSync(join(dir, 'components'))
      for (let mask = 1; mask < 1 << components.length; mask++) {
        const set = components.filter((_, i) => (mask & (1 << i)) !== 0)
        const root = join(tmp.path, `combo-${set.join('+')}`)
        await mkdir(root, { recursive: true })
        await writeFile(
          join(root, 'kustomization.yaml'),
          [
            'apiVersion: kustomize.config.k8s.io/v1beta1',
            'kind: Kustomization',
            `resources: [${relative(root, join(dir, 'base'))}]`,
            `components: [${set.map((c) => relative(root, join(dir, 'components', c))).join(', ')}]`,
            '',
          ].join('\n')
        )
        roots.push(root)
      }
      for (const root of roots) {
        const r = await dryRun(root)
        assert.equal(r.code, 0, `${root}: ${r.stderr}`)
        assert.match(r.stdout, /daemonset.apps\/cattail-agent created \(server dry run\)/, root)
        // every custom object of the rendering was accepted by the server
        const rendered = await kubectl('kustomize', root)
        let custom = 0
        for (const d of parseAllDocuments(rendered.stdout)) {
          const o = d.toJS() as Doc
          if (!/cert-manager\.io|monitoring\.coreos\.com/.test(String(o['apiVersion']))) continue
          const line = `${String(o.kind).toLowerCase()}.${String(o['apiVersion']).split('/')[0]}/${o.metadata?.name} created (server dry run)`
          assert.ok(r.stdout.includes(line), `${root}: ${line}\n${r.stdout}`)
          custom++
        }
        assert.ok(custom > 0, `${root}: no custom objects`)
      }
      assert.equal(api.revision, rev, 'a dry run stores nothing')
      assert.deepEqual(api.list('certificates.cert-manager.io'), [])
    })
  })
})

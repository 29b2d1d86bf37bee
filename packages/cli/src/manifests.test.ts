import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { agentCommand } from '@cattail/agent'
import { cacheCommand } from '@cattail/cache'

const dir = fileURLToPath(new URL('../../../docker/manifests/', import.meta.url))
interface Container {
  args?: string[]
  env?: { name: string }[]
  livenessProbe?: { httpGet?: { port?: number | string } }
  readinessProbe?: { httpGet?: { port?: number | string } }
}
const docs = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(dir + f, 'utf8')).map((d) => ({
      file: f,
      doc: d.toJS() as Record<string, unknown>,
    }))
  )
const containers = docs.flatMap(({ file, doc }) => {
  const spec = (doc['spec'] as { template?: { spec?: { containers?: Container[] } } } | undefined)
    ?.template?.spec
  return (spec?.containers ?? []).map((c) => ({ file, c }))
})

describe('docker manifests', () => {
  it('parse as YAML, and every document has apiVersion, kind and a name', () => {
    assert.ok(docs.length > 10)
    for (const { file, doc } of docs) {
      assert.equal(typeof doc['apiVersion'], 'string', file)
      assert.equal(typeof doc['kind'], 'string', file)
      if (doc['kind'] !== 'Kustomization') {
        assert.equal(typeof (doc['metadata'] as { name?: unknown }).name, 'string', file)
      }
    }
  })

  it('set only environment variables the commands read, and probe the default health ports', () => {
    const known = new Map([
      ['cache', { cmd: cacheCommand(), health: 9098 }],
      ['agent', { cmd: agentCommand(), health: 9099 }],
    ])
    assert.equal(containers.length, 2)
    for (const { file, c } of containers) {
      const role = known.get(c.args?.[0] ?? '')
      assert.ok(role, `${file}: unknown role ${c.args?.[0]}`)
      const envVars = new Set(role.cmd.options.map((o) => o.envVar))
      envVars.add('NODENAME')
      for (const e of c.env ?? [])
        assert.ok(envVars.has(e.name), `${file}: ${e.name} is not read by cattail ${c.args?.[0]}`)
      assert.equal(Number(c.livenessProbe?.httpGet?.port), role.health, file)
      assert.equal(Number(c.readinessProbe?.httpGet?.port), role.health, file)
    }
  })
})

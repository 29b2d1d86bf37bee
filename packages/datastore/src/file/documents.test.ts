import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { isManifestFileName, parseManifestFile } from './documents.js'

const MIXED = `# a demo cluster in one file
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pods
spec:
  cidr: 198.19.0.0/16
  vxlanMode: Always
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: { env: prod }
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: broken
spec:
  cidr: 198.19.0/16
---
apiVersion: v1
kind: Pod
metadata: { name: web-0, namespace: shop, labels: { app: web } }
spec: { nodeName: node-1, containers: [{ name: web }] }
status: { phase: Running, podIP: 198.19.1.4 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
---
`

void describe('manifest documents', () => {
  void it('converts Calico and Kubernetes documents and names each bad one by file and index', () => {
    const got = parseManifestFile('cluster.yaml', MIXED)
    assert.deepEqual(
      got.resources.map((r) => `${r.source} ${r.resource.kind}/${r.resource.metadata.name}`),
      [
        'cluster.yaml#0 IPPool/pods',
        'cluster.yaml#1 Profile/kns.shop',
        'cluster.yaml#3 WorkloadEndpoint/node--1-k8s-web--0-eth0',
      ]
    )
    assert.deepEqual(got.problems, [
      {
        source: 'cluster.yaml#2',
        detail: 'IPPool broken: spec.cidr "198.19.0/16" is not a valid CIDR',
        kind: 'IPPool',
      },
      {
        source: 'cluster.yaml#4',
        detail: 'unsupported document apiVersion "apps/v1" kind "Deployment"',
      },
    ])
  })

  void it('reads NetworkSet and GlobalNetworkSet documents', () => {
    const got = parseManifestFile(
      'sets.yaml',
      'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: ext, labels: {kind: ext}}\nspec: {nets: [203.0.113.0/24]}\n---\napiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: db, namespace: prod}\nspec: {nets: [198.51.100.7]}\n'
    )
    assert.deepEqual(got.problems, [])
    assert.deepEqual(
      got.resources.map(
        (r) =>
          `${r.resource.kind}/${r.resource.metadata.namespace ?? ''}/${r.resource.metadata.name}`
      ),
      ['GlobalNetworkSet//ext', 'NetworkSet/prod/db']
    )
  })

  void it('reads Lists, skips empty documents and reports broken YAML without losing the rest', () => {
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name: 'n1',
            annotations: { 'projectcalico.org/IPv4Address': '198.18.0.1/16' },
          },
        },
        { apiVersion: 'v1', kind: 'Node', metadata: {} },
      ],
    })
    const got = parseManifestFile('nodes.json', list)
    assert.equal(got.resources.length, 1)
    assert.deepEqual(got.problems, [
      {
        source: 'nodes.json#0.items[1]',
        detail: 'Node <unnamed>: metadata.name is required',
        kind: 'Node',
      },
    ])
    assert.deepEqual(parseManifestFile('empty.yaml', ''), { resources: [], problems: [] })
    assert.deepEqual(parseManifestFile('dashes.yaml', '---\n---\n'), {
      resources: [],
      problems: [],
    })
    const broken = parseManifestFile(
      'b.yaml',
      'apiVersion: v1\nkind: [unclosed\n---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\n'
    )
    assert.equal(broken.resources.length, 1)
    assert.equal(broken.problems[0]?.source, 'b.yaml#0')
    assert.match(broken.problems[0]?.detail ?? '', /^invalid YAML/)
    const scalar = parseManifestFile('s.yaml', 'just a string\n')
    assert.deepEqual(scalar.problems, [{ source: 's.yaml#0', detail: 'document is not a mapping' }])
  })

  void it('reads only manifest file names', () => {
    assert.ok(
      isManifestFileName('a.yaml') && isManifestFileName('b.YML') && isManifestFileName('c.json')
    )
    assert.ok(
      !isManifestFileName('.a.yaml') &&
        !isManifestFileName('a.yaml.swp') &&
        !isManifestFileName('.tmp-1')
    )
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import type { RemoteClusterConfiguration, Secret } from '@cattail/model'
import { remoteAccess } from './remote-access.js'

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: { server: "https://127.0.0.1:6443", certificate-authority-data: "" }
users:
- name: u
  user: { token: t }
contexts:
- name: x
  context: { cluster: c, user: u }
current-context: x
`

const rcc = (spec: Record<string, unknown>): RemoteClusterConfiguration => ({
  kind: 'RemoteClusterConfiguration',
  metadata: { name: 'b' },
  spec,
})
const secret = (data: Record<string, string>): Secret => ({
  kind: 'Secret',
  metadata: { name: 's', namespace: 'calico-system' },
  spec: { data },
})
const ref = { clusterAccessSecret: { name: 's', namespace: 'calico-system', kind: 'Secret' } }

void describe('remote access for federation', () => {
  void it('a kubernetes remote (Secret with a kubeconfig) is read through its kubeconfig', () => {
    const a = remoteAccess(
      rcc(ref),
      secret({ datastoreType: 'kubernetes', kubeconfig: KUBECONFIG }),
      'calico-system'
    )
    assert.ok(a.ok)
    assert.equal(a.config.kubeconfig.kind, 'inline')
  })

  void it('an etcdv3 remote federates services only with Kubernetes access too', () => {
    const etcdOnly = remoteAccess(
      rcc(ref),
      secret({ datastoreType: 'etcdv3', etcdEndpoints: 'https://127.0.0.1:2379' }),
      'calico-system'
    )
    assert.ok(!etcdOnly.ok && etcdOnly.noServices)
    assert.match(etcdOnly.ok ? '' : etcdOnly.reason, /contributes no services/)
    const both = remoteAccess(
      rcc(ref),
      secret({
        datastoreType: 'etcdv3',
        etcdEndpoints: 'https://127.0.0.1:2379',
        kubeconfig: KUBECONFIG,
      }),
      'calico-system'
    )
    assert.ok(both.ok)
    const spec = remoteAccess(
      rcc({
        datastoreType: 'etcdv3',
        etcdEndpoints: 'https://127.0.0.1:2379',
        k8sAPIEndpoint: 'https://127.0.0.1:6443',
      }),
      undefined,
      'calico-system'
    )
    assert.ok(spec.ok)
    assert.equal(spec.config.overrides?.server, 'https://127.0.0.1:6443')
  })

  void it('a broken RCC or missing Secret is ConfigIncomplete with the reason, never a throw', () => {
    const missing = remoteAccess(rcc(ref), undefined, 'calico-system')
    assert.ok(!missing.ok && !missing.noServices && /not found/.test(missing.reason))
    const junk = remoteAccess(rcc({ datastoreType: 42 }), undefined, 'calico-system')
    assert.ok(!junk.ok && !junk.noServices)
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import type {
  RemoteClusterConfiguration,
  RemoteClusterConfigurationSpec,
  Secret,
} from '@cattail/model'
import { checkKubeconfig, remoteDatastoreConfig, secretRefOf } from './remote-config.js'
import { overlayRoutingModeOf, remoteKinds } from './remote-kinds.js'
import { remoteStatusGaugeValue, remoteStatusUpdate } from './remote-status.js'

const rcc = (spec: unknown, name = 'b'): RemoteClusterConfiguration =>
  ({ kind: 'RemoteClusterConfiguration', metadata: { name }, spec }) as RemoteClusterConfiguration

const secret = (data: Record<string, unknown>, name = 'b-access'): Secret =>
  ({ kind: 'Secret', metadata: { name, namespace: 'cattail-system' }, spec: { data } }) as Secret

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: { server: "https://127.0.0.1:6443" }
users:
- name: u
  user: { token: abc }
contexts:
- name: ctx
  context: { cluster: c, user: u }
current-context: ctx
`

const withSecret: RemoteClusterConfigurationSpec = { clusterAccessSecret: { name: 'b-access' } }

void describe('remoteDatastoreConfig', () => {
  const ok: [string, unknown, Secret | undefined, unknown][] = [
    [
      'etcd fields with TLS paths',
      {
        datastoreType: 'etcdv3',
        etcdEndpoints: 'http://10.0.0.1:2379, https://10.0.0.2:2379',
        etcdUsername: 'u',
        etcdPassword: 'p',
        etcdCACertFile: '/ca.pem',
        etcdKeyFile: '/k.pem',
      },
      undefined,
      {
        ok: true,
        config: {
          type: 'etcdv3',
          endpoints: ['http://10.0.0.1:2379', 'https://10.0.0.2:2379'],
          username: 'u',
          password: 'p',
        },
        etcdTlsFiles: { ca: '/ca.pem', key: '/k.pem' },
      },
    ],
    [
      'no datastoreType and only etcd fields: etcdv3',
      { etcdEndpoints: 'http://e:2379' },
      undefined,
      { ok: true, config: { type: 'etcdv3', endpoints: ['http://e:2379'] } },
    ],
    [
      'kubeconfig path with overrides; type inferred',
      { kubeconfig: '/etc/kc', k8sAPIToken: 't', k8sInsecureSkipTLSVerify: true },
      undefined,
      {
        ok: true,
        config: {
          type: 'kubernetes',
          kubeconfig: { kind: 'path', path: '/etc/kc' },
          overrides: { token: 't', insecureSkipTLSVerify: true },
        },
      },
    ],
    [
      'kubeconfigInline',
      { datastoreType: 'kubernetes', kubeconfigInline: KUBECONFIG },
      undefined,
      {
        ok: true,
        config: {
          type: 'kubernetes',
          kubeconfig: { kind: 'inline', contents: KUBECONFIG, untrusted: { allowExec: false } },
        },
      },
    ],
    [
      'Secret with etcd contents',
      withSecret,
      secret({
        datastoreType: 'etcdv3',
        etcdEndpoints: 'https://e:2379',
        etcdCACert: 'CA',
        etcdCert: 'CERT',
        etcdKey: 'KEY',
        etcdUsername: 'u',
        etcdPassword: 'p',
      }),
      {
        ok: true,
        config: {
          type: 'etcdv3',
          endpoints: ['https://e:2379'],
          username: 'u',
          password: 'p',
          tls: { ca: 'CA', cert: 'CERT', key: 'KEY' },
        },
      },
    ],
    [
      'Secret with a kubeconfig (type inferred) and overlay options beside it',
      { ...withSecret, syncOptions: { overlayRoutingMode: 'Enabled' } },
      secret({ kubeconfig: KUBECONFIG }),
      {
        ok: true,
        config: {
          type: 'kubernetes',
          kubeconfig: { kind: 'inline', contents: KUBECONFIG, untrusted: { allowExec: false } },
        },
      },
    ],
  ]
  for (const [name, spec, sec, want] of ok) {
    void it(`accepts ${name}`, () => {
      assert.deepEqual(remoteDatastoreConfig(rcc(spec), sec), want)
    })
  }

  void it('builds a kubeconfig from k8sAPIEndpoint alone', () => {
    const res = remoteDatastoreConfig(
      rcc({ k8sAPIEndpoint: 'https://10.1.1.1:6443', k8sCAFile: '/ca' }),
      undefined
    )
    assert.ok(res.ok && res.config.type === 'kubernetes')
    assert.deepEqual(res.config.overrides, { server: 'https://10.1.1.1:6443', caFile: '/ca' })
    assert.ok(res.config.kubeconfig.kind === 'inline')
    assert.equal(checkKubeconfig(res.config.kubeconfig.contents), undefined)
  })

  const bad: [string, unknown, Secret | undefined, RegExp][] = [
    ['a missing spec', undefined, undefined, /spec is missing/],
    ['a spec that is a string', 'junk', undefined, /spec is missing or not an object/],
    [
      'etcdv3 without endpoints',
      { datastoreType: 'etcdv3' },
      undefined,
      /etcdEndpoints is missing/,
    ],
    ['no connection fields at all', {}, undefined, /etcdEndpoints is missing/],
    ['a non-URL endpoint', { etcdEndpoints: 'foo' }, undefined, /"foo" is not an http\(s\) URL/],
    [
      'a numeric endpoint',
      { etcdEndpoints: 42 },
      undefined,
      /spec\.etcdEndpoints must be a string/,
    ],
    ['an unknown datastoreType', { datastoreType: 'consul' }, undefined, /"consul" is not/],
    [
      'kubernetes without kubeconfig',
      { datastoreType: 'kubernetes' },
      undefined,
      /needs spec\.kubeconfig, spec\.kubeconfigInline or spec\.k8sAPIEndpoint/,
    ],
    [
      'both kubeconfig and kubeconfigInline',
      { kubeconfig: '/a', kubeconfigInline: KUBECONFIG },
      undefined,
      /both set/,
    ],
    [
      'a non-boolean k8sInsecureSkipTLSVerify',
      { kubeconfig: '/a', k8sInsecureSkipTLSVerify: 'yes' },
      undefined,
      /must be a boolean/,
    ],
    [
      'a Secret plus connection fields',
      { ...withSecret, etcdEndpoints: 'http://e:2379', kubeconfig: '/kc' },
      secret({ kubeconfig: KUBECONFIG }),
      /these fields must be empty: spec\.etcdEndpoints, spec\.kubeconfig$/,
    ],
    [
      'a missing Secret',
      withSecret,
      undefined,
      /clusterAccessSecret cattail-system\/b-access not found/,
    ],
    [
      'a Secret without data',
      withSecret,
      { kind: 'Secret', metadata: { name: 'b-access' }, spec: {} } as unknown as Secret,
      /has no data/,
    ],
    [
      'a Secret whose kubeconfig is not YAML',
      withSecret,
      secret({ kubeconfig: 'a: [unclosed' }),
      /Secret cattail-system\/b-access: kubeconfig is not valid YAML/,
    ],
    [
      'a Secret whose kubeconfig has no server',
      withSecret,
      secret({
        kubeconfig:
          'clusters: [{name: c, cluster: {}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n',
      }),
      /cluster "c" has no server/,
    ],
    [
      'a Secret whose kubeconfig names a missing context',
      withSecret,
      secret({ kubeconfig: KUBECONFIG.replace('current-context: ctx', 'current-context: nope') }),
      /current-context "nope" names no context/,
    ],
    [
      'a Secret of type kubernetes without a kubeconfig',
      withSecret,
      secret({ datastoreType: 'kubernetes' }),
      /key kubeconfig is missing/,
    ],
    [
      'a Secret with etcdv3 but no endpoints',
      withSecret,
      secret({ datastoreType: 'etcdv3' }),
      /key etcdEndpoints is missing/,
    ],
    [
      'a Secret with a non-string value',
      withSecret,
      secret({ etcdEndpoints: ['x'] }),
      /key etcdEndpoints must be a string/,
    ],
    [
      'a reference to something other than a Secret',
      { clusterAccessSecret: { kind: 'ConfigMap', name: 'x' } },
      undefined,
      /kind "ConfigMap" is not Secret/,
    ],
    ['a reference without a name', { clusterAccessSecret: {} }, undefined, /name is missing/],
    ['a reference that is a string', { clusterAccessSecret: 'x' }, undefined, /must be an object/],
  ]
  for (const [name, spec, sec, re] of bad) {
    void it(`rejects ${name} with a clear reason`, () => {
      const res = remoteDatastoreConfig(rcc(spec), sec)
      assert.equal(res.ok, false)
      assert.match(res.ok ? '' : res.reason, re)
    })
  }

  void it('secretRefOf defaults the namespace', () => {
    assert.deepEqual(secretRefOf(rcc(withSecret), 'ns1'), { namespace: 'ns1', name: 'b-access' })
    assert.deepEqual(
      secretRefOf(rcc({ clusterAccessSecret: { name: 's', namespace: 'x' } }), 'ns1'),
      { namespace: 'x', name: 's' }
    )
    assert.equal(secretRefOf(rcc({}), 'ns1'), undefined)
    assert.equal(secretRefOf(rcc(null), 'ns1'), undefined)
  })
})

void describe('remote kinds and status', () => {
  const all = new Set([
    'WorkloadEndpoint',
    'HostEndpoint',
    'Profile',
    'Node',
    'IPPool',
    'IPAMBlock',
    'NetworkPolicy',
    'GlobalNetworkPolicy',
    'Service',
  ] as const)

  void it('reads endpoints and profiles always, overlay kinds only when Enabled, never policies', () => {
    assert.deepEqual(
      [...remoteKinds('Disabled', all)],
      ['WorkloadEndpoint', 'HostEndpoint', 'Profile', 'Service']
    )
    assert.deepEqual(
      [...remoteKinds('Enabled', all)],
      ['WorkloadEndpoint', 'HostEndpoint', 'Profile', 'Node', 'IPPool', 'IPAMBlock', 'Service']
    )
    assert.deepEqual([...remoteKinds('Enabled', new Set(['Node'] as const))], ['Node'])
  })

  void it('overlayRoutingModeOf treats anything but Enabled as Disabled', () => {
    assert.equal(
      overlayRoutingModeOf(rcc({ syncOptions: { overlayRoutingMode: 'Enabled' } })),
      'Enabled'
    )
    assert.equal(
      overlayRoutingModeOf(rcc({ syncOptions: { overlayRoutingMode: 'enabled' } })),
      'Disabled'
    )
    assert.equal(overlayRoutingModeOf(rcc({ syncOptions: 3 })), 'Disabled')
    assert.equal(overlayRoutingModeOf(rcc(undefined)), 'Disabled')
  })

  void it('maps states to Calico gauge values', () => {
    assert.equal(remoteStatusGaugeValue('ConnectionFailed'), 0)
    assert.equal(remoteStatusGaugeValue('Connecting'), 1)
    assert.equal(remoteStatusGaugeValue('InSync'), 2)
    assert.equal(remoteStatusGaugeValue('ResyncInProgress'), 3)
    assert.equal(remoteStatusGaugeValue('ConfigIncomplete'), 5)
  })

  void it('builds status KVs keyed RemoteClusterStatus/<name>', () => {
    assert.deepEqual(remoteStatusUpdate('b', { status: 'ConnectionFailed', error: 'x' }), {
      key: 'RemoteClusterStatus/b',
      value: {
        kind: 'RemoteClusterStatus',
        metadata: { name: 'b' },
        spec: { status: 'ConnectionFailed', error: 'x' },
      },
      revision: '',
    })
    assert.equal(remoteStatusUpdate('b', undefined).value, undefined)
  })
})

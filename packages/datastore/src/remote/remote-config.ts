/**
 * Pure translation of a RemoteClusterConfiguration (RCC), plus its access Secret, into the
 * DatastoreConfig a remote syncer connects with.
 *
 * Overview: an RCC either carries its connection fields itself (`datastoreType`, `etcdEndpoints`,
 * `kubeconfig` …, where file fields are *paths*) or names a `clusterAccessSecret`, in which case
 * every other connection field must be empty and the Secret's keys hold *contents*. Any problem
 * becomes `{ ok: false, reason }`, which the mesh syncer reports as `ConfigIncomplete` with that
 * text; nothing here throws, whatever the input looks like (RCCs and Secrets are untrusted).
 *
 * Implementation: RCC fields are read through small type-checking readers over an `unknown`
 * record, so a malformed object (a number where a string belongs, a missing spec) yields a reason
 * naming the field. Etcd TLS file fields are returned as paths (`etcdTlsFiles`) for the I/O layer
 * to read; Kubernetes file fields travel as kubeconfig overrides, which the driver reads.
 *
 * Why infer `datastoreType`: Calico's Go comment defaults an unset type to etcdv3, which turns an
 * RCC with only a kubeconfig into a confusing "no etcd endpoints" error. We infer `kubernetes`
 * when only Kubernetes fields are set and `etcdv3` otherwise.
 */
import type { RemoteClusterConfiguration, Secret } from '@cattail/model'
import type { DatastoreConfig, EtcdTls } from '../syncer.js'
import { checkKubeconfig, isUrl } from '@cattail/kubeconfig'

export { checkKubeconfig }

/** Etcd TLS material given as file paths (RCC `etcdCACertFile` …), read by the I/O layer. */
export interface EtcdTlsFiles {
  readonly ca?: string
  readonly cert?: string
  readonly key?: string
}

/** Outcome of {@link remoteDatastoreConfig}. */
export type RemoteConfigResult =
  | {
      readonly ok: true
      /** Connection settings for the remote syncer (etcd TLS still as paths, see `etcdTlsFiles`). */
      readonly config: DatastoreConfig
      /** Etcd TLS files to read and merge into `config.tls` before connecting. */
      readonly etcdTlsFiles?: EtcdTlsFiles
    }
  | { readonly ok: false; readonly reason: string }

/** RCC spec fields that give Kubernetes access (also read by the federation controller). */
export const RCC_KUBE_FIELDS = [
  'kubeconfig',
  'kubeconfigInline',
  'k8sAPIEndpoint',
  'k8sKeyFile',
  'k8sCertFile',
  'k8sCAFile',
  'k8sAPIToken',
  'k8sInsecureSkipTLSVerify',
] as const

/** RCC spec fields that describe the connection (all must be empty when a Secret is named). */
export const RCC_CONNECTION_FIELDS = [
  'datastoreType',
  'etcdEndpoints',
  'etcdUsername',
  'etcdPassword',
  'etcdKeyFile',
  'etcdCertFile',
  'etcdCACertFile',
  'etcdKey',
  'etcdCert',
  'etcdCACert',
  ...RCC_KUBE_FIELDS,
] as const

/** Keys of a cluster access Secret (contents, not paths). */
export const SECRET_KEYS = [
  'datastoreType',
  'kubeconfig',
  'etcdEndpoints',
  'etcdUsername',
  'etcdPassword',
  'etcdKey',
  'etcdCert',
  'etcdCACert',
] as const

const KUBE_FIELDS = [
  'kubeconfig',
  'kubeconfigInline',
  'k8sAPIEndpoint',
  'k8sKeyFile',
  'k8sCertFile',
  'k8sCAFile',
  'k8sAPIToken',
] as const

type Fields = Readonly<Record<string, unknown>>

/** Internal: a field is wrong; caught in remoteDatastoreConfig. */
class Problem extends Error {
  constructor(readonly reason: string) {
    super(reason)
  }
}

const isRecord = (v: unknown): v is Fields =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** A string field, or undefined when unset or empty. */
function str(fields: Fields, name: string, where: string): string | undefined {
  const v = fields[name]
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v !== 'string') throw new Problem(`${where}${name} must be a string`)
  return v
}

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '' && v !== false
}

/** Reference to the access Secret named by an RCC, with the namespace defaulted. */
export interface SecretRef {
  readonly namespace: string
  readonly name: string
}

/**
 * The Secret an RCC names in `clusterAccessSecret` (namespace defaulted to `defaultNamespace`),
 * undefined when it names none or the reference is malformed (remoteDatastoreConfig reports that).
 */
export function secretRefOf(
  rcc: RemoteClusterConfiguration,
  defaultNamespace: string
): SecretRef | undefined {
  const spec: unknown = (rcc as { spec?: unknown }).spec
  if (!isRecord(spec)) return undefined
  const ref = spec['clusterAccessSecret']
  if (!isRecord(ref)) return undefined
  const name = ref['name']
  const ns = ref['namespace']
  if (typeof name !== 'string' || name === '') return undefined
  return { namespace: typeof ns === 'string' && ns !== '' ? ns : defaultNamespace, name }
}

function etcdEndpointsOf(raw: string, where: string): string[] {
  const eps = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
  if (eps.length === 0) throw new Problem(`${where}etcdEndpoints is empty`)
  for (const e of eps) {
    if (!isUrl(e, ['http:', 'https:'])) {
      throw new Problem(`${where}etcdEndpoints entry "${e}" is not an http(s) URL`)
    }
  }
  return eps
}

function datastoreTypeOf(raw: string | undefined, kubeHint: boolean, where: string) {
  if (raw === undefined) return kubeHint ? 'kubernetes' : 'etcdv3'
  if (raw !== 'kubernetes' && raw !== 'etcdv3') {
    throw new Problem(`${where}datastoreType "${raw}" is not kubernetes or etcdv3`)
  }
  return raw
}

/** A kubeconfig for an RCC that gives only `k8sAPIEndpoint` (the overrides supply the rest). */
function endpointOnlyKubeconfig(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: remote`,
    `  cluster: { server: ${JSON.stringify(server)} }`,
    'users:',
    '- name: remote',
    '  user: {}',
    'contexts:',
    '- name: remote',
    '  context: { cluster: remote, user: remote }',
    'current-context: remote',
    '',
  ].join('\n')
}

/** How an untrusted kubeconfig is checked (see RemoteConfigOptions). */
type Untrusted = { readonly allowExec: boolean }

function fromSecret(
  secret: Secret | undefined,
  ref: SecretRef,
  untrusted: Untrusted
): RemoteConfigResult {
  if (secret === undefined) {
    return { ok: false, reason: `clusterAccessSecret ${ref.namespace}/${ref.name} not found` }
  }
  const data: unknown = (secret as { spec?: { data?: unknown } }).spec?.data
  if (!isRecord(data)) {
    return { ok: false, reason: `Secret ${ref.namespace}/${ref.name} has no data` }
  }
  const where = `Secret ${ref.namespace}/${ref.name} key `
  const kubeconfig = str(data, 'kubeconfig', where)
  const type = datastoreTypeOf(str(data, 'datastoreType', where), kubeconfig !== undefined, where)
  if (type === 'kubernetes') {
    if (kubeconfig === undefined) {
      return { ok: false, reason: `${where}kubeconfig is missing (datastoreType kubernetes)` }
    }
    const problem = checkKubeconfig(kubeconfig, { untrusted: true, ...untrusted })
    if (problem !== undefined) {
      return { ok: false, reason: `Secret ${ref.namespace}/${ref.name}: ${problem}` }
    }
    return {
      ok: true,
      config: { type, kubeconfig: { kind: 'inline', contents: kubeconfig, untrusted } },
    }
  }
  return { ok: true, config: etcdConfigOf(data, where) }
}

function optional<K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: V }
}

function fromSpec(spec: Fields, untrusted: Untrusted): RemoteConfigResult {
  const where = 'spec.'
  const kubeHint = KUBE_FIELDS.some((f) => isSet(spec[f]))
  const type = datastoreTypeOf(str(spec, 'datastoreType', where), kubeHint, where)
  if (type === 'kubernetes') {
    const path = str(spec, 'kubeconfig', where)
    const inline = str(spec, 'kubeconfigInline', where)
    const server = str(spec, 'k8sAPIEndpoint', where)
    const skip = spec['k8sInsecureSkipTLSVerify']
    if (skip !== undefined && skip !== null && typeof skip !== 'boolean') {
      throw new Problem(`${where}k8sInsecureSkipTLSVerify must be a boolean`)
    }
    if (path !== undefined && inline !== undefined) {
      throw new Problem(`${where}kubeconfig and ${where}kubeconfigInline are both set; set one`)
    }
    if (server !== undefined && !isUrl(server, ['http:', 'https:'])) {
      throw new Problem(`${where}k8sAPIEndpoint "${server}" is not an http(s) URL`)
    }
    if (inline !== undefined) {
      const problem = checkKubeconfig(inline, {
        untrusted: true,
        ...untrusted,
        ...(server !== undefined && { serverOverride: server }),
      })
      if (problem !== undefined) throw new Problem(`${where}kubeconfigInline: ${problem}`)
    }
    if (path === undefined && inline === undefined && server === undefined) {
      throw new Problem(
        `datastoreType kubernetes needs ${where}kubeconfig, ${where}kubeconfigInline or ${where}k8sAPIEndpoint`
      )
    }
    const overrides = {
      ...optional('server', server),
      ...optional('caFile', str(spec, 'k8sCAFile', where)),
      ...optional('certFile', str(spec, 'k8sCertFile', where)),
      ...optional('keyFile', str(spec, 'k8sKeyFile', where)),
      ...optional('token', str(spec, 'k8sAPIToken', where)),
      ...(skip === true && { insecureSkipTLSVerify: true }),
    }
    const kubeconfig =
      path !== undefined
        ? ({ kind: 'path', path } as const)
        : inline !== undefined
          ? ({ kind: 'inline', contents: inline, untrusted } as const)
          : ({ kind: 'inline', contents: endpointOnlyKubeconfig(server ?? '') } as const)
    return {
      ok: true,
      config: { type, kubeconfig, ...(Object.keys(overrides).length > 0 && { overrides }) },
    }
  }
  const files: EtcdTlsFiles = {
    ...optional('ca', str(spec, 'etcdCACertFile', where)),
    ...optional('cert', str(spec, 'etcdCertFile', where)),
    ...optional('key', str(spec, 'etcdKeyFile', where)),
  }
  return {
    ok: true,
    config: etcdConfigOf(spec, where),
    ...(Object.keys(files).length > 0 && { etcdTlsFiles: files }),
  }
}

/**
 * The etcdv3 settings a Secret and RCC fields spell the same way: `etcdEndpoints`, inline TLS
 * contents (`etcdCACert`, `etcdCert`, `etcdKey`), `etcdUsername`, `etcdPassword`.
 */
function etcdConfigOf(
  rec: Readonly<Record<string, unknown>>,
  where: string
): Extract<DatastoreConfig, { type: 'etcdv3' }> {
  const rawEps = str(rec, 'etcdEndpoints', where)
  if (rawEps === undefined) {
    throw new Problem(`${where}etcdEndpoints is missing (datastoreType etcdv3)`)
  }
  const tls: EtcdTls = {
    ...optional('ca', str(rec, 'etcdCACert', where)),
    ...optional('cert', str(rec, 'etcdCert', where)),
    ...optional('key', str(rec, 'etcdKey', where)),
  }
  return {
    type: 'etcdv3',
    endpoints: etcdEndpointsOf(rawEps, where),
    ...optional('username', str(rec, 'etcdUsername', where)),
    ...optional('password', str(rec, 'etcdPassword', where)),
    ...(Object.keys(tls).length > 0 && { tls }),
  }
}

/** Options of {@link remoteDatastoreConfig}. */
export interface RemoteConfigOptions {
  /**
   * Admit `users[].user.exec` plugins in a remote's kubeconfig (RCC inline field or Secret): the
   * cache's `--allow-remote-kubeconfig-exec`. auth-provider and path fields stay rejected.
   * @default false
   */
  readonly allowKubeconfigExec?: boolean
}

/**
 * Connection settings for the remote named by `rcc`, from its own fields or from `secret` (the
 * Secret its `clusterAccessSecret` names, or undefined when that Secret is absent).
 * `defaultSecretNamespace` is used when the reference gives no namespace. A kubeconfig from the
 * RCC's inline field or its Secret is untrusted: it may not run a command or name a local file
 * (see @cattail/kubeconfig's checkKubeconfig). Never throws.
 */
export function remoteDatastoreConfig(
  rcc: RemoteClusterConfiguration,
  secret: Secret | undefined,
  defaultSecretNamespace = 'cattail-system',
  opts: RemoteConfigOptions = {}
): RemoteConfigResult {
  const untrusted = { allowExec: opts.allowKubeconfigExec === true }
  try {
    const spec: unknown = (rcc as { spec?: unknown }).spec
    if (!isRecord(spec)) return { ok: false, reason: 'spec is missing or not an object' }
    const rawRef = spec['clusterAccessSecret']
    if (rawRef !== undefined && rawRef !== null) {
      if (!isRecord(rawRef)) throw new Problem('spec.clusterAccessSecret must be an object')
      const kind = rawRef['kind']
      if (kind !== undefined && kind !== null && kind !== '' && kind !== 'Secret') {
        throw new Problem(`spec.clusterAccessSecret.kind ${JSON.stringify(kind)} is not Secret`)
      }
      const ns = rawRef['namespace']
      if (ns !== undefined && ns !== null && typeof ns !== 'string') {
        throw new Problem('spec.clusterAccessSecret.namespace must be a string')
      }
      const ref = secretRefOf(rcc, defaultSecretNamespace)
      if (ref === undefined) throw new Problem('spec.clusterAccessSecret.name is missing')
      const extra = RCC_CONNECTION_FIELDS.filter((f) => isSet(spec[f]))
      if (extra.length > 0) {
        const list = extra.map((f) => `spec.${f}`).join(', ')
        return {
          ok: false,
          reason: `spec.clusterAccessSecret is set, so these fields must be empty: ${list}`,
        }
      }
      return fromSecret(secret, ref, untrusted)
    }
    return fromSpec(spec, untrusted)
  } catch (err) {
    if (err instanceof Problem) return { ok: false, reason: err.reason }
    throw err
  }
}

/**
 * Turns the YAML files of a manifest folder into model resources. Pure (the syncer reads files).
 *
 * Accepted documents:
 *   - Calico: `projectcalico.org/v3` (or `crd.projectcalico.org/v1`) of every Calico kind,
 *     validated with `parseResource`;
 *   - Kubernetes: `v1` Pod, Namespace, ServiceAccount, Node, Service, Endpoints, Secret and
 *     `networking.k8s.io/v1` NetworkPolicy, converted with `fromKubernetes` (a Pod becomes a
 *     WorkloadEndpoint, a Namespace a `kns.` profile …);
 *   - `v1` `List` (what `kubectl get -o yaml` prints): each item as above;
 *   - empty documents (a trailing `---`) are ignored.
 * A bad document yields an error naming `<file>#<index>` (index of the document in the file,
 * from 0; `#2.items[3]` inside a List) and never affects the other documents. Each document (and
 * each List item) is converted behind a guard: a conversion that throws is a problem of that
 * document (reason `exception`), never of the file.
 */
import {
  CALICO_API_VERSION,
  CALICO_CRD_API_VERSION,
  fromKubernetes,
  parseResource,
  type KubeResourceType,
  type Resource,
} from '@cattail/model'
import { parseAllDocuments } from 'yaml'

/** Kubernetes kinds the file driver converts, by `apiVersion/kind`. */
const KUBE_KINDS: Readonly<Record<string, KubeResourceType>> = {
  'v1/Pod': 'pods',
  'v1/Namespace': 'namespaces',
  'v1/ServiceAccount': 'serviceaccounts',
  'v1/Node': 'nodes',
  'v1/Service': 'services',
  'v1/Endpoints': 'endpoints',
  'v1/Secret': 'secrets',
  'networking.k8s.io/v1/NetworkPolicy': 'networkpolicies',
}

/** One bad document. */
export interface DocumentProblem {
  /** `<file>#<index>` (or `<file>#<index>.items[<n>]`). */
  readonly source: string
  readonly detail: string
  /** The document's `kind`, when it has a string one. */
  readonly kind?: string
  /** `exception` when the conversion threw, else `invalid`. */
  readonly reason?: 'invalid' | 'exception'
}

/** What one file contained. */
export interface FileContents {
  /** Resources with the source document of each. */
  readonly resources: { readonly source: string; readonly resource: Resource }[]
  readonly problems: DocumentProblem[]
}

function convertObject(obj: unknown, source: string, out: FileContents): void {
  if (obj === null || obj === undefined) return
  if (typeof obj !== 'object' || Array.isArray(obj)) {
    out.problems.push({ source, detail: 'document is not a mapping' })
    return
  }
  const o = obj as Record<string, unknown>
  const apiVersion = typeof o['apiVersion'] === 'string' ? o['apiVersion'] : undefined
  const kind = typeof o['kind'] === 'string' ? o['kind'] : undefined
  if (apiVersion === CALICO_API_VERSION || apiVersion === CALICO_CRD_API_VERSION) {
    const res = parseResource(o)
    if (res.ok) out.resources.push({ source, resource: res.resource })
    else
      out.problems.push({ source, detail: res.error.message, ...(kind !== undefined && { kind }) })
    return
  }
  if (apiVersion === 'v1' && kind === 'List') {
    const items = o['items']
    if (!Array.isArray(items)) {
      out.problems.push({ source, detail: 'List has no items' })
      return
    }
    items.forEach((item: unknown, i) => convertGuarded(item, `${source}.items[${i}]`, out))
    return
  }
  const resourceType = KUBE_KINDS[`${apiVersion ?? ''}/${kind ?? ''}`]
  if (resourceType === undefined) {
    out.problems.push({
      source,
      detail: `unsupported document apiVersion ${JSON.stringify(apiVersion)} kind ${JSON.stringify(kind)}`,
    })
    return
  }
  const res = fromKubernetes(resourceType, o)
  if (!res.ok) {
    out.problems.push({ source, detail: res.error.message, ...(kind !== undefined && { kind }) })
    return
  }
  for (const r of res.resources) out.resources.push({ source, resource: r })
}

function convertGuarded(obj: unknown, source: string, out: FileContents): void {
  try {
    convertObject(obj, source, out)
  } catch (e) {
    const k: unknown =
      typeof obj === 'object' && obj !== null ? (obj as { kind?: unknown }).kind : ''
    out.problems.push({
      source,
      detail: `conversion failed: ${e instanceof Error ? e.message : String(e)}`,
      ...(typeof k === 'string' && k !== '' && { kind: k }),
      reason: 'exception',
    })
  }
}

/** Parses one file's text (YAML, multi-document allowed; JSON is YAML too). */
export function parseManifestFile(fileName: string, text: string): FileContents {
  const out: FileContents = { resources: [], problems: [] }
  let docs: ReturnType<typeof parseAllDocuments>
  try {
    docs = parseAllDocuments(text)
  } catch (e) {
    const detail = `invalid YAML: ${e instanceof Error ? e.message : String(e)}`
    out.problems.push({ source: `${fileName}#0`, detail, reason: 'exception' })
    return out
  }
  // parseAllDocuments returns an EmptyStream (not an array) for empty input.
  if (!Array.isArray(docs)) return out
  docs.forEach((doc, i) => {
    const source = `${fileName}#${i}`
    const err = doc.errors[0]
    if (err !== undefined) {
      out.problems.push({ source, detail: `invalid YAML: ${err.message.split('\n')[0] ?? ''}` })
      return
    }
    let value: unknown
    try {
      value = doc.toJS({ maxAliasCount: 100 })
    } catch (e) {
      out.problems.push({ source, detail: `invalid YAML: ${(e as Error).message}` })
      return
    }
    convertGuarded(value, source, out)
  })
  return out
}

/** True for file names the driver reads: `*.yaml`, `*.yml`, `*.json`, not hidden. */
export const isManifestFileName = (name: string): boolean =>
  !name.startsWith('.') && /\.(ya?ml|json)$/i.test(name)

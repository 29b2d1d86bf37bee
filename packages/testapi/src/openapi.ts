/**
 * A minimal OpenAPI v3 surface, just enough for kubectl.
 *
 * kubectl (1.27+) validates manifests before apply/create: it reads `/openapi/v3`, then the
 * group-version document, and looks for the PATCH operation of the object's kind
 * (`x-kubernetes-group-version-kind`) with a `fieldValidation` query parameter. When it finds
 * one it leaves validation to the server (which this server skips) instead of failing with
 * "failed to download openapi". No schemas are served: kubectl then computes apply patches from
 * its compiled-in types (strategic merge for core kinds, JSON merge patch for CRDs).
 * `/openapi/v2` stays 404 (kubectl only asks for it as a fallback, in protobuf).
 */
import { SERVED_RESOURCES } from './served-resources.js'

const gvPath = (group: string, version: string): string =>
  group === '' ? `api/${version}` : `apis/${group}/${version}`

/** `/openapi/v3`: one entry per served group version. */
export function openApiRoot(): object {
  const paths: Record<string, { serverRelativeURL: string }> = {}
  for (const r of SERVED_RESOURCES) {
    const p = gvPath(r.group, r.version)
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=0` }
  }
  return { paths }
}

/** `/openapi/v3/<api/v1 | apis/g/v>`, or undefined when that group version is not served. */
export function openApiGroupVersion(path: string): object | undefined {
  const rs = SERVED_RESOURCES.filter((r) => gvPath(r.group, r.version) === path)
  if (rs.length === 0) return undefined
  const paths: Record<string, object> = {}
  for (const r of rs) {
    const base = `/${path}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}/{name}`
    paths[base] = {
      patch: {
        operationId: `patch${r.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
        parameters: [
          { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
        ],
        responses: { '200': { description: 'OK' } },
      },
    }
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0-cattail-testapi' },
    paths,
    components: { schemas: {} },
  }
}

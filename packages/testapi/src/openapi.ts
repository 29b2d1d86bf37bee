/**
 * A minimal OpenAPI v3 surface, just enough for kubectl.
 *
 * kubectl (1.27+) validates manifests before apply/create: it reads `/openapi/v3`, then the
 * group-version document, and looks for the PATCH operation of the object's kind
 * (`x-kubernetes-group-version-kind`) with a `fieldValidation` query parameter. When it finds
 * one it leaves validation to the server (which this server skips) instead of failing with
 * "failed to download openapi". No schemas are served: kubectl then computes apply patches from
 * its compiled-in types (strategic merge for core kinds, JSON merge patch for CRDs).
 * Kinds registered from CustomResourceDefinitions get the same stub as soon as they are served
 * (their `openAPIV3Schema` is not served).
 *
 * `/openapi/v2` (asked for in protobuf) is an empty document: kubectl reads it only as a fallback,
 * e.g. to validate a kind missing from `/openapi/v3` client-side, and with no schema for the kind
 * it skips validation, as against a real server whose v2 document does not know the kind; the
 * apply then fails on the kind itself ("no matches for kind … ensure CRDs are installed first"),
 * not on a 404 for the document.
 */
import type { ServedResource } from './served-resources.js'

const gvPath = (group: string, version: string): string =>
  group === '' ? `api/${version}` : `apis/${group}/${version}`

/** `/openapi/v3`: one entry per served group version. */
export function openApiRoot(resources: readonly ServedResource[]): object {
  const paths: Record<string, { serverRelativeURL: string }> = {}
  for (const r of resources) {
    const p = gvPath(r.group, r.version)
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=0` }
  }
  return { paths }
}

/** `/openapi/v3/<api/v1 | apis/g/v>`, or undefined when that group version is not served. */
export function openApiGroupVersion(
  resources: readonly ServedResource[],
  path: string
): object | undefined {
  const rs = resources.filter((r) => gvPath(r.group, r.version) === path)
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

/** Media type of `/openapi/v2` in protobuf (gnostic's openapi_v2.Document). */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf'

/** `/openapi/v2`: an empty openapi_v2.Document (zero bytes of protobuf, every field unset). */
export const openApiV2 = (): Buffer => Buffer.alloc(0)

/**
 * CustomResourceDefinition (apiextensions.k8s.io/v1) checks, defaults and status, as
 * kube-apiserver's apiextensions validation does them, reduced to what decides how a kind is
 * served: group, names, scope, versions (served/storage, a root `openAPIV3Schema` of type object),
 * `metadata.name` = `<plural>.<group>`, and an immutable scope. Errors use the real field-error
 * wording (`spec.scope: Unsupported value: …`). Schemas are not checked beyond their root type and
 * custom objects are not validated against them.
 *
 * Pure: no I/O, no state.
 */
import type { ServedResource } from './served-resources.js'
import type { KubeObject } from './store.js'

/** The parts of a CRD's spec this server reads (after {@link crdErrors} passed). */
export interface CrdSpec {
  readonly group: string
  readonly names: {
    readonly plural: string
    readonly singular?: string
    readonly kind: string
    readonly listKind?: string
    readonly shortNames?: readonly string[]
    readonly categories?: readonly string[]
  }
  readonly scope: 'Namespaced' | 'Cluster'
  readonly versions: readonly {
    readonly name: string
    readonly served: boolean
    readonly storage: boolean
    readonly subresources?: { readonly status?: object }
  }[]
}

const SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const LABEL_1035_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const KIND_RE = /^[A-Za-z]([-A-Za-z0-9]*[A-Za-z0-9])?$/

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
const LABEL_1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const show = (v: unknown): string => JSON.stringify(v) ?? 'null'

/**
 * The field errors of a CRD (empty when valid). `old` is the stored CRD on an update.
 */
export function crdErrors(crd: KubeObject, old?: KubeObject): string[] {
  const errs: string[] = []
  const spec = crd['spec']
  if (!isObj(spec)) return ['spec: Required value']
  const group = str(spec['group'])
  if (group === undefined || group === '') errs.push('spec.group: Required value')
  else if (!SUBDOMAIN_RE.test(group) || group.length > 253)
    errs.push(`spec.group: Invalid value: ${show(group)}: ${SUBDOMAIN_MSG}`)
  else if (!group.includes('.'))
    errs.push(`spec.group: Invalid value: ${show(group)}: should be a domain with at least one dot`)

  const names = isObj(spec['names']) ? spec['names'] : {}
  const plural = str(names['plural'])
  const label = (path: string, v: unknown, required: boolean): void => {
    if (v === undefined || v === '') {
      if (required) errs.push(`${path}: Required value`)
    } else if (typeof v !== 'string' || !LABEL_RE.test(v) || v.length > 63)
      errs.push(`${path}: Invalid value: ${show(v)}: ${LABEL_MSG}`)
  }
  label('spec.names.plural', names['plural'], true)
  label('spec.names.singular', names['singular'], false)
  const kind = names['kind']
  if (kind === undefined || kind === '') errs.push('spec.names.kind: Required value')
  else if (typeof kind !== 'string' || !KIND_RE.test(kind))
    errs.push(
      `spec.names.kind: Invalid value: ${show(kind)}: may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?`
    )
  if (names['listKind'] !== undefined && !KIND_RE.test(str(names['listKind']) ?? ''))
    errs.push(
      `spec.names.listKind: Invalid value: ${show(names['listKind'])}: may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?`
    )
  for (const key of ['shortNames', 'categories'] as const) {
    const list = names[key]
    if (list === undefined) continue
    if (!Array.isArray(list))
      errs.push(`spec.names.${key}: Invalid value: ${show(list)}: must be a list`)
    else list.forEach((v, i) => label(`spec.names.${key}[${i}]`, v, true))
  }
  const name = crd.metadata.name ?? ''
  if (group !== undefined && plural !== undefined && name !== `${plural}.${group}`)
    errs.push(
      `metadata.name: Invalid value: ${show(name)}: must be spec.names.plural+"."+spec.group`
    )

  const scope = spec['scope']
  if (scope === undefined || scope === '') errs.push('spec.scope: Required value')
  else if (scope !== 'Namespaced' && scope !== 'Cluster')
    errs.push(
      `spec.scope: Unsupported value: ${show(scope)}: supported values: "Cluster", "Namespaced"`
    )
  else if (isObj(old?.['spec']) && old['spec']['scope'] !== scope)
    errs.push(`spec.scope: Invalid value: ${show(scope)}: field is immutable`)

  errs.push(...versionErrors(spec['versions']))
  return errs
}

function versionErrors(versions: unknown): string[] {
  const errs: string[] = []
  if (!Array.isArray(versions) || versions.length === 0)
    return [
      `spec.versions: Invalid value: ${show(versions ?? null)}: must have exactly one version marked as storage version`,
    ]
  const seen = new Set<string>()
  let storage = 0
  let served = 0
  versions.forEach((v: unknown, i) => {
    const path = `spec.versions[${i}]`
    if (!isObj(v)) {
      errs.push(`${path}: Invalid value: ${show(v)}: must be an object`)
      return
    }
    const name = v['name']
    if (name === undefined || name === '') errs.push(`${path}.name: Required value`)
    else if (typeof name !== 'string' || !LABEL_1035_RE.test(name))
      errs.push(`${path}.name: Invalid value: ${show(name)}: ${LABEL_1035_MSG}`)
    else if (seen.has(name)) errs.push(`${path}.name: Duplicate value: ${show(name)}`)
    else seen.add(name)
    for (const flag of ['served', 'storage'] as const)
      if (typeof v[flag] !== 'boolean')
        errs.push(`${path}.${flag}: Invalid value: ${show(v[flag] ?? null)}: must be true or false`)
    if (v['storage'] === true) storage++
    if (v['served'] === true) served++
    const schema = isObj(v['schema']) ? v['schema']['openAPIV3Schema'] : undefined
    const sp = `${path}.schema.openAPIV3Schema`
    if (!isObj(schema)) errs.push(`${sp}: Required value: schemas are required`)
    else if (schema['type'] === undefined || schema['type'] === '')
      errs.push(`${sp}.type: Required value: must not be empty at the root`)
    else if (schema['type'] !== 'object')
      errs.push(`${sp}.type: Invalid value: ${show(schema['type'])}: must be object at the root`)
    const sub = v['subresources']
    if (
      sub !== undefined &&
      (!isObj(sub) || (sub['status'] !== undefined && !isObj(sub['status'])))
    )
      errs.push(`${path}.subresources: Invalid value: ${show(sub)}: must be an object`)
  })
  if (storage !== 1)
    errs.push(
      `spec.versions: Invalid value: ${show(versions)}: must have exactly one version marked as storage version`
    )
  if (served === 0)
    errs.push(
      `spec.versions: Invalid value: ${show(versions)}: must have at least one served version`
    )
  return errs
}

/**
 * The status kube-apiserver's controllers give an accepted CRD: NamesAccepted and Established,
 * `acceptedNames` (with the defaulted singular and listKind), `storedVersions`. Conditions keep
 * their `lastTransitionTime` from `old` so a re-apply is a no-op.
 */
export function crdStatus(spec: CrdSpec, old?: KubeObject): object {
  const oldConds = (isObj(old?.['status']) ? old['status']['conditions'] : undefined) as
    { type?: string; lastTransitionTime?: string }[] | undefined
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  const cond = (type: string, reason: string, message: string): object => ({
    type,
    status: 'True',
    lastTransitionTime: oldConds?.find((c) => c.type === type)?.lastTransitionTime ?? now,
    reason,
    message,
  })
  const n = spec.names
  const oldStored = (isObj(old?.['status']) ? old['status']['storedVersions'] : undefined) as
    string[] | undefined
  const storage = spec.versions.find((v) => v.storage)?.name ?? ''
  return {
    conditions: [
      cond('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames: {
      plural: n.plural,
      singular: n.singular ?? n.kind.toLowerCase(),
      kind: n.kind,
      listKind: n.listKind ?? `${n.kind}List`,
      ...(n.shortNames !== undefined && { shortNames: [...n.shortNames] }),
      ...(n.categories !== undefined && { categories: [...n.categories] }),
    },
    storedVersions: [...new Set([...(oldStored ?? []), storage])],
  }
}

/** The resources a valid CRD serves: one per served version. */
export function servedByCrd(name: string, spec: CrdSpec): ServedResource[] {
  const n = spec.names
  return spec.versions
    .filter((v) => v.served)
    .map((v) => ({
      group: spec.group,
      version: v.name,
      plural: n.plural,
      singular: n.singular ?? n.kind.toLowerCase(),
      kind: n.kind,
      namespaced: spec.scope === 'Namespaced',
      ...(n.shortNames !== undefined && { shortNames: [...n.shortNames] }),
      ...(isObj(v.subresources?.status) && { status: true }),
      crd: name,
    }))
}

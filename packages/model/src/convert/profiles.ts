/**
 * Namespace → Profile `kns.<ns>` and ServiceAccount → Profile `ksa.<ns>.<sa>`, as Calico's
 * Kubernetes datastore does it. Only `labelsToApply` is produced (rules never travel): the
 * namespace's labels as `pcns.<key>` plus `pcns.projectcalico.org/name: <ns>`, and the service
 * account's as `pcsa.<key>` plus `pcsa.projectcalico.org/name: <sa>`.
 */
import type { ObjectMeta, Profile } from '../resources.js'
import { readMeta } from '../validate/meta.js'
import {
  LABEL_NAME,
  NAMESPACE_LABEL_PREFIX,
  SERVICE_ACCOUNT_LABEL_PREFIX,
  namespaceProfileName,
  serviceAccountProfileName,
} from './names.js'

function prefixed(
  prefix: string,
  labels: ObjectMeta['labels'],
  name: string
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(labels ?? {})) out[`${prefix}${k}`] = v
  out[`${prefix}${LABEL_NAME}`] = name
  return out
}

function profileMeta(name: string, src: ObjectMeta): ObjectMeta {
  return {
    name,
    ...(src.uid !== undefined && { uid: src.uid }),
    ...(src.resourceVersion !== undefined && { resourceVersion: src.resourceVersion }),
    ...(src.creationTimestamp !== undefined && { creationTimestamp: src.creationTimestamp }),
  }
}

/** Namespace (untrusted JSON) → Profile `kns.<ns>`; throws FieldProblem when invalid. */
export function namespaceToProfile(ns: Readonly<Record<string, unknown>>): Profile {
  const meta = readMeta(ns['metadata'], { namespaced: false, strictName: true })
  return {
    kind: 'Profile',
    metadata: profileMeta(namespaceProfileName(meta.name), meta),
    spec: { labelsToApply: prefixed(NAMESPACE_LABEL_PREFIX, meta.labels, meta.name) },
  }
}

/** ServiceAccount (untrusted JSON) → Profile `ksa.<ns>.<sa>`; throws FieldProblem when invalid. */
export function serviceAccountToProfile(sa: Readonly<Record<string, unknown>>): Profile {
  const meta = readMeta(sa['metadata'], { namespaced: true })
  return {
    kind: 'Profile',
    metadata: profileMeta(serviceAccountProfileName(meta.namespace ?? 'default', meta.name), meta),
    spec: { labelsToApply: prefixed(SERVICE_ACCOUNT_LABEL_PREFIX, meta.labels, meta.name) },
  }
}

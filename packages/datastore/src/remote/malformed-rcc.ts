/**
 * Recognises a driver's report of a malformed RemoteClusterConfiguration, so the mesh syncer can
 * show `ConfigIncomplete` for it (drivers validate RCCs and treat a bad one as absent, so it never
 * reaches the mesh syncer as an update). Pure.
 */
import type { MeshError } from '@cattail/common'
import { ValidationError } from '@cattail/model'
import { BadObjectError } from '../errors.js'
import { CALICO_V3_PREFIX } from '../etcd/layout.js'

const ETCD_RCC_PREFIX = `${CALICO_V3_PREFIX}remoteclusterconfigurations/`
const KUBE_RCC_PREFIX = 'remoteclusterconfigurations '

/** The RCC name a failure is about, when it reports a malformed RCC; otherwise undefined. */
export function malformedRccName(err: MeshError): string | undefined {
  if (!(err instanceof BadObjectError)) return undefined
  for (const prefix of [ETCD_RCC_PREFIX, KUBE_RCC_PREFIX]) {
    if (err.source.startsWith(prefix)) return nameOrUndefined(err.source.slice(prefix.length))
  }
  // Other sources (a file and document index): the validation message names the object,
  // `RemoteClusterConfiguration <name>: <problem>`. (ValidationError's own `name` field is
  // shadowed by Error.name, so the message is the reliable place.)
  const cause: unknown = err.cause
  if (cause instanceof ValidationError && cause.kind === 'RemoteClusterConfiguration') {
    const m = /^RemoteClusterConfiguration ([^:\s]+):/.exec(cause.message)
    return m === null ? undefined : nameOrUndefined(m[1] ?? '')
  }
  return undefined
}

function nameOrUndefined(name: string): string | undefined {
  return name === '' || name === '<unnamed>' || name.includes('/') ? undefined : name
}

/**
 * The service-account token controller, as kube-controller-manager runs it for long-lived tokens:
 * a Secret of type `kubernetes.io/service-account-token` annotated
 * `kubernetes.io/service-account.name: <sa>` gets `token`, `ca.crt` and `namespace` filled in
 * (asynchronously, as the real controller does, so clients wait for `data.token`). The token
 * authenticates as that service account while the Secret and the ServiceAccount exist.
 */
import type { Auth } from './auth.js'
import { findResource } from './served-resources.js'
import type { KubeObject, Store } from './store.js'

/** The Secret type the controller fills. */
export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token'
/** Annotation naming the service account. */
export const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name'

const TEN_YEARS_S = 10 * 365 * 24 * 3600

/** Starts the controller on `store`; returns the function that stops it. */
export function startTokenController(
  store: Store,
  auth: Auth,
  caCert: string | undefined
): () => void {
  const secrets = findResource('secrets')
  if (secrets === undefined) throw new Error('testapi: secrets are not served')
  const fill = (s: KubeObject): void => {
    const ns = s.metadata.namespace ?? 'default'
    const name = s.metadata.name ?? ''
    const cur = store.get(secrets, ns, name)
    if (cur === undefined) return
    const data = (cur['data'] ?? {}) as Record<string, string>
    if (data['token'] !== undefined) return
    const sa = cur.metadata.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION] ?? ''
    const { token } = auth.mint(ns, sa, TEN_YEARS_S, name)
    const b64 = (v: string): string => Buffer.from(v).toString('base64')
    store.update(secrets, ns, name, {
      ...cur,
      metadata: { ...cur.metadata, resourceVersion: undefined },
      data: {
        ...data,
        token: b64(token),
        namespace: b64(ns),
        ...(caCert !== undefined && { 'ca.crt': b64(caCert) }),
      },
    })
  }
  return store.subscribe((e) => {
    if (e.resource !== 'secrets' || e.type !== 'ADDED') return
    if (e.object['type'] !== SERVICE_ACCOUNT_TOKEN_TYPE) return
    // after the write that created it, like the real controller (never inside a store commit)
    setImmediate(() => fill(e.object))
  })
}

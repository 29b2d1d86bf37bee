/**
 * Authentication and authorization of the test API server.
 *
 * Tokens: the admin token (the server's `token`, always allowed everything) and service-account
 * tokens minted by TokenRequest (`POST …/serviceaccounts/<sa>/token`, what `kubectl create token`
 * sends) or by the control surface. A service-account token authenticates as
 * `system:serviceaccount:<ns>:<sa>` while it has not expired and the ServiceAccount exists. The
 * admin may impersonate a service account (`Impersonate-User`, `kubectl --as=…`).
 *
 * Authorization: with `enforceRbac`, every resource request of a service account is checked
 * against the RBAC objects in the store (rbac.ts) and denied with kube-apiserver's 403; without
 * it, any authenticated caller may do anything (the historical behaviour). Discovery documents
 * are open to every authenticated caller, as `system:discovery` grants. SelfSubjectAccessReview
 * (`kubectl auth can-i`) answers with the same authorizer.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { ResourceRequest } from './handlers.js'
import {
  type Identity,
  type RbacObjects,
  type RequestAttributes,
  forbidden,
  isAllowed,
} from './rbac.js'
import { findResource, type ServedResource } from './served-resources.js'
import { ApiStatusError, badRequest, notFound, unauthorized } from './status.js'
import type { KubeObject, Store } from './store.js'

interface SaToken {
  readonly namespace: string
  readonly name: string
  readonly expiresAt: number
  /** The Secret the token lives in (a long-lived token dies with it). */
  readonly secret?: string
}

const res = (id: string): ServedResource => {
  const r = findResource(id)
  if (r === undefined) throw new Error(`testapi: ${id} is not served`)
  return r
}

/** The server's authenticator and authorizer. */
export class Auth {
  readonly #tokens = new Map<string, SaToken>()
  /** Denials, oldest first (the last 1000): the Forbidden messages sent. */
  readonly denials: string[] = []

  constructor(
    private readonly store: Store,
    private readonly adminToken: string,
    /** Enforce RBAC for service-account identities. */
    public enforceRbac: boolean
  ) {}

  /** Mints a token for a service account (which must exist when the token is used). */
  mint(
    namespace: string,
    name: string,
    expirationSeconds = 3600,
    secret?: string
  ): { token: string; expiresAt: number } {
    const token = `cattail-sa-${randomBytes(18).toString('base64url')}`
    const expiresAt = Date.now() + expirationSeconds * 1000
    this.#tokens.set(token, { namespace, name, expiresAt, ...(secret !== undefined && { secret }) })
    return { token, expiresAt }
  }

  /** Who sent `req`; throws 401 for a missing, unknown or expired token. */
  authenticate(req: IncomingMessage): Identity {
    const h = req.headers.authorization ?? ''
    const token = h.startsWith('Bearer ') ? h.slice('Bearer '.length) : undefined
    if (token === undefined) throw unauthorized()
    if (token === this.adminToken) {
      const as = req.headers['impersonate-user']
      if (typeof as !== 'string') return { kind: 'admin' }
      const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(as)
      if (m === null)
        throw new ApiStatusError(
          403,
          'Forbidden',
          `the test API server impersonates only service accounts, not "${as}"`
        )
      return { kind: 'serviceaccount', namespace: m[1] ?? '', name: m[2] ?? '' }
    }
    const sa = this.#tokens.get(token)
    if (sa === undefined || sa.expiresAt < Date.now()) throw unauthorized()
    if (this.store.get(res('serviceaccounts'), sa.namespace, sa.name) === undefined)
      throw unauthorized()
    if (
      sa.secret !== undefined &&
      this.store.get(res('secrets'), sa.namespace, sa.secret) === undefined
    )
      throw unauthorized()
    return { kind: 'serviceaccount', namespace: sa.namespace, name: sa.name }
  }

  /** The RBAC objects now in the store. */
  rbac(): RbacObjects {
    const l = (id: string): readonly KubeObject[] => this.store.list(res(id))
    return {
      roles: l('roles.rbac.authorization.k8s.io'),
      clusterRoles: l('clusterroles.rbac.authorization.k8s.io'),
      roleBindings: l('rolebindings.rbac.authorization.k8s.io'),
      clusterRoleBindings: l('clusterrolebindings.rbac.authorization.k8s.io'),
    }
  }

  /** True when `id` may do `a` under the current mode. */
  allowed(id: Identity, a: RequestAttributes): boolean {
    return !this.enforceRbac || isAllowed(this.rbac(), id, a)
  }

  /** Throws 403 when `id` may not do `r` with HTTP `method`. */
  authorize(id: Identity, r: ResourceRequest, method: string): void {
    const a = attributesOf(r, method)
    if (this.allowed(id, a)) return
    const err = forbidden(id, a)
    this.denials.push(err.message)
    if (this.denials.length > 1000) this.denials.splice(0, this.denials.length - 1000)
    throw err
  }

  /**
   * Serves the auth APIs that are not plain storage: TokenRequest and SelfSubjectAccessReview.
   * Returns undefined for every other request.
   */
  serve(
    id: Identity,
    r: ResourceRequest,
    method: string,
    body: () => Promise<unknown>
  ): Promise<[number, unknown]> | undefined {
    if (
      r.resource.plural === 'serviceaccounts' &&
      r.resource.group === '' &&
      r.subresource === 'token'
    )
      return this.#tokenRequest(id, r, method, body)
    if (r.resource.kind === 'SelfSubjectAccessReview') return this.#review(id, method, body)
    return undefined
  }

  async #tokenRequest(
    id: Identity,
    r: ResourceRequest,
    method: string,
    body: () => Promise<unknown>
  ): Promise<[number, unknown]> {
    if (method !== 'POST') throw methodNotAllowed()
    this.authorize(id, r, method)
    const ns = r.namespace ?? 'default'
    const name = r.name ?? ''
    if (this.store.get(r.resource, ns, name) === undefined) throw notFound(r.resource, name)
    const req = ((await body()) ?? {}) as {
      spec?: { audiences?: string[]; expirationSeconds?: number }
    }
    const seconds = req.spec?.expirationSeconds ?? 3600
    if (!Number.isInteger(seconds) || seconds < 600)
      throw badRequest(
        `spec.expirationSeconds: Invalid value: ${seconds}: may not specify a duration less than 10 minutes`
      )
    const { token, expiresAt } = this.mint(ns, name, seconds)
    return [
      201,
      {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name, namespace: ns, creationTimestamp: null },
        spec: {
          audiences: req.spec?.audiences ?? ['https://kubernetes.default.svc'],
          expirationSeconds: seconds,
          boundObjectRef: null,
        },
        status: {
          token,
          expirationTimestamp: new Date(expiresAt).toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      },
    ]
  }

  async #review(
    id: Identity,
    method: string,
    body: () => Promise<unknown>
  ): Promise<[number, unknown]> {
    if (method !== 'POST') throw methodNotAllowed()
    const review = ((await body()) ?? {}) as {
      spec?: {
        resourceAttributes?: Partial<Record<keyof RequestAttributes, string>>
        nonResourceAttributes?: object
      }
    }
    const ra = review.spec?.resourceAttributes
    let allowed: boolean
    if (ra !== undefined) {
      const ns = ra.namespace === '' ? undefined : ra.namespace
      allowed = this.allowed(id, {
        verb: ra.verb ?? '',
        group: ra.group ?? '',
        resource: ra.resource ?? '',
        subresource: ra.subresource === '' ? undefined : ra.subresource,
        namespace: ns,
        name: ra.name === '' ? undefined : ra.name,
      })
    } else allowed = true // non-resource URLs: discovery is open to every authenticated user
    return [
      201,
      {
        kind: 'SelfSubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec: review.spec ?? {},
        status: { allowed, ...(!allowed && { reason: '' }) },
      },
    ]
  }
}

const methodNotAllowed = (): ApiStatusError =>
  new ApiStatusError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource'
  )

/** The authorizer's view of a resource request (HTTP method → Kubernetes verb). */
export function attributesOf(r: ResourceRequest, method: string): RequestAttributes {
  const watch = r.watch || r.query.get('watch') === 'true' || r.query.get('watch') === '1'
  const verb =
    method === 'GET'
      ? r.name === undefined
        ? watch
          ? 'watch'
          : 'list'
        : 'get'
      : method === 'POST'
        ? 'create'
        : method === 'PUT'
          ? 'update'
          : method === 'PATCH'
            ? 'patch'
            : method === 'DELETE'
              ? r.name === undefined
                ? 'deletecollection'
                : 'delete'
              : method.toLowerCase()
  return {
    verb,
    group: r.resource.group,
    resource: r.resource.plural,
    subresource: r.subresource,
    namespace: r.resource.namespaced ? r.namespace : undefined,
    name: r.name,
  }
}

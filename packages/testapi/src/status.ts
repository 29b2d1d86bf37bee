/**
 * Kubernetes `Status` failures as the real API server sends them, and the error class handlers
 * throw to produce one.
 */

/** The JSON body of a failed request. */
export interface StatusBody {
  readonly kind: 'Status'
  readonly apiVersion: 'v1'
  readonly metadata: Record<string, never>
  readonly status: 'Failure'
  readonly message: string
  readonly reason: string
  readonly code: number
  readonly details?: { readonly name?: string; readonly group?: string; readonly kind?: string }
}

/** Thrown by handlers; the router turns it into an HTTP response with a Status body. */
export class ApiStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusBody['details']
  ) {
    super(message)
    this.name = 'ApiStatusError'
  }

  /** The Status object to send. */
  toStatus(): StatusBody {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
      ...(this.details !== undefined && { details: this.details }),
    }
  }
}

/** Names a resource the way kube-apiserver does in messages: `pods`, `ippools.crd.projectcalico.org`. */
type Res = { readonly group: string; readonly plural: string; readonly kind: string }
const qualified = (r: Res): string => (r.group === '' ? r.plural : `${r.plural}.${r.group}`)
const details = (r: Res, name: string): StatusBody['details'] => ({
  name,
  group: r.group,
  kind: r.plural,
})

/** 404 NotFound: `pods "x" not found`. */
export const notFound = (r: Res, name: string): ApiStatusError =>
  new ApiStatusError(404, 'NotFound', `${qualified(r)} "${name}" not found`, details(r, name))

/** 409 AlreadyExists. */
export const alreadyExists = (r: Res, name: string): ApiStatusError =>
  new ApiStatusError(
    409,
    'AlreadyExists',
    `${qualified(r)} "${name}" already exists`,
    details(r, name)
  )

/** 409 Conflict on a stale resourceVersion. */
export const conflict = (r: Res, name: string): ApiStatusError =>
  new ApiStatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(r, name)
  )

/**
 * 422 Invalid: `Pod "x" is invalid: …`, `Certificate.cert-manager.io "x" is invalid: …`; several
 * causes are listed in brackets, as kube-apiserver aggregates field errors.
 */
export const invalid = (r: Res, name: string, why: string | readonly string[]): ApiStatusError =>
  new ApiStatusError(
    422,
    'Invalid',
    `${r.group === '' ? r.kind : `${r.kind}.${r.group}`} "${name}" is invalid: ${
      typeof why === 'string' ? why : why.length === 1 ? why[0] : `[${why.join(', ')}]`
    }`,
    {
      name,
      group: r.group,
      kind: r.kind,
    }
  )

/** 400 BadRequest. */
export const badRequest = (message: string): ApiStatusError =>
  new ApiStatusError(400, 'BadRequest', message)

/** 410 Expired (too old resourceVersion or continue token). */
export const expired = (message = 'too old resource version'): ApiStatusError =>
  new ApiStatusError(410, 'Expired', message)

/** 401 Unauthorized. */
export const unauthorized = (): ApiStatusError =>
  new ApiStatusError(401, 'Unauthorized', 'Unauthorized')

/**
 * Errors of the kubernetes driver. Connection and object errors use the shared datastore errors
 * (`DatastoreConnectionError`, `BadObjectError`); these two are specific to this driver.
 */
import { MeshError } from '@cattail/common'

/** The kubeconfig could not be loaded or is unusable (defined by the shared kubeconfig loader). */
export { KubeconfigError } from '@cattail/kubeconfig'

/** An API request got a non-200 answer. `statusCode` is the HTTP status (410 = Expired). */
export class KubeApiError extends MeshError {
  readonly code = 'ERR_KUBE_API'
  /**
   * @param statusCode - HTTP status, or the `code` of a watch ERROR event's Status
   * @param reason - the Status `reason` (`Expired`, `NotFound` …) when the server sent one
   */
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string
  ) {
    super(`${statusCode} ${reason}: ${message}`)
  }
}

/** True when `err` means "resourceVersion too old": HTTP or Status 410. */
export function isGone(err: unknown): boolean {
  if (err instanceof KubeApiError) return err.statusCode === 410
  return (err as { statusCode?: unknown } | null)?.statusCode === 410
}

/** Typed errors of the policy calc. */
import { MeshError } from '@cattail/common'

/** A policy or profile the calc cannot use; the message is the problem's reason. */
export class PolicyPrepareError extends MeshError {
  readonly code = 'ERR_POLICY_INVALID'
}

/** A `policy trace` query the calc cannot answer (unknown endpoint, bad protocol). */
export class TraceError extends MeshError {
  readonly code = 'ERR_POLICY_TRACE'
}

/**
 * Errors of @cattail/model. Conversions and validation never throw these: they return them inside
 * a `ConversionResult` so a bad object never crashes a daemon.
 */
import { MeshError } from '@cattail/common'

/**
 * An object failed validation or conversion. The message is precise and self-contained, e.g.
 * `IPPool default-pool: spec.cidr "10.0.0/16" is not a valid CIDR`.
 */
export class ValidationError extends MeshError {
  readonly code = 'ERR_VALIDATION'
  /**
   * @param kind - the object's kind as written (`IPPool`, `Pod`, …), or `'<unknown>'`
   * @param objectName - `[<namespace>/]<name>`, or `'<unnamed>'` (not `name`: that is the error
   *   class name, as on every Error)
   * @param field - dotted path of the offending field (`spec.cidr`), or `''` for the whole object
   * @param problem - what is wrong with that field
   */
  constructor(
    readonly kind: string,
    readonly objectName: string,
    readonly field: string,
    readonly problem: string
  ) {
    super(`${kind} ${objectName}: ${field === '' ? '' : `${field} `}${problem}`)
  }
}

/**
 * Selector fields in Calico resources.
 *
 * TODO: validate the expression with `validateSelector` from @cattail/selector once that package
 * exports it (it is being written concurrently); until then only the type is checked.
 */
import { optStr } from './fields.js'

/** An optional selector expression (type-checked only, see the TODO above). */
export function optSelector(v: unknown, field: string): string | undefined {
  return optStr(v, field)
}

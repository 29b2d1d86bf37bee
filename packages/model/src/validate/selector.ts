/**
 * Selector fields in Calico resources, checked with @cattail/selector's parser so a policy or
 * pool with a broken selector is rejected with the parser's message (e.g.
 * `NetworkPolicy default/web: spec.selector "app ==" is not a valid selector: …`).
 */
import { validateSelector } from '@cattail/selector'
import { fail, optStr, show } from './fields.js'

/** An optional selector expression; invalid syntax is a FieldProblem. */
export function optSelector(v: unknown, field: string): string | undefined {
  const s = optStr(v, field)
  if (s === undefined) return undefined
  const err = validateSelector(s)
  if (err !== undefined) fail(field, `${show(s)} is not a valid selector: ${err.message}`)
  return s
}

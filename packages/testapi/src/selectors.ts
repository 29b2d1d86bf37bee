/**
 * Kubernetes label and field selectors, as list and watch accept them.
 *
 * Labels: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a` (exists), `!a` (absent),
 * comma-separated (AND). Fields: `metadata.name` and `metadata.namespace` with `=`, `==`, `!=`.
 */
import { badRequest } from './status.js'

/** A compiled selector: true when an object matches. */
export type ObjectMatcher = (obj: KubeLike) => boolean

/** The parts of an object selectors look at. */
export interface KubeLike {
  readonly metadata?: {
    readonly name?: string
    readonly namespace?: string
    readonly labels?: Readonly<Record<string, string>>
  }
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur.trim())
      cur = ''
    } else cur += ch
  }
  if (cur.trim() !== '') out.push(cur.trim())
  return out.filter((t) => t !== '')
}

type LabelTest = (labels: Readonly<Record<string, string>>) => boolean

function labelTerm(term: string): LabelTest {
  let m = /^([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term)
  if (m !== null) {
    const [, key = '', op, list = ''] = m
    const values = new Set(list.split(',').map((v) => v.trim()))
    return op === 'in'
      ? (l) => l[key] !== undefined && values.has(l[key])
      : (l) => l[key] === undefined || !values.has(l[key])
  }
  m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term)
  if (m !== null) {
    const [, key = '', op, value = ''] = m
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value
  }
  m = /^(!?)\s*([\w./-]+)$/.exec(term)
  if (m !== null) {
    const [, not, key = ''] = m
    return not === '!' ? (l) => l[key] === undefined : (l) => l[key] !== undefined
  }
  throw badRequest(`unable to parse requirement: ${term}`)
}

/** Compiles a label selector; an empty or missing one matches everything. Throws 400 when bad. */
export function parseLabelSelector(s: string | null | undefined): ObjectMatcher {
  if (s === null || s === undefined || s.trim() === '') return () => true
  const tests = splitTerms(s).map(labelTerm)
  return (obj) => {
    const labels = obj.metadata?.labels ?? {}
    return tests.every((t) => t(labels))
  }
}

/** Compiles a field selector (`metadata.name`, `metadata.namespace`). Throws 400 when bad. */
export function parseFieldSelector(s: string | null | undefined): ObjectMatcher {
  if (s === null || s === undefined || s.trim() === '') return () => true
  const tests = splitTerms(s).map((term): ObjectMatcher => {
    const m = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(term)
    if (m === null) throw badRequest(`field label not supported: ${term}`)
    const [, field, op, value = ''] = m
    const get = (o: KubeLike): string =>
      (field === 'metadata.name' ? o.metadata?.name : o.metadata?.namespace) ?? ''
    return op === '!=' ? (o) => get(o) !== value : (o) => get(o) === value
  })
  return (obj) => tests.every((t) => t(obj))
}

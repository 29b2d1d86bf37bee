/**
 * The selector syntax tree: one small class per operation.
 *
 * Overview: every node evaluates itself against a label lookup and appends its canonical text
 * (Calico's `collectFragments`) to an array of fragments. Nodes are immutable once built.
 *
 * Implementation: classes rather than closures so that each node kind has one hidden class and the
 * evaluation call sites stay cheap; no regular expression or allocation happens during
 * evaluation. `in` sets keep both the sorted values (for the canonical form) and a `Set` (for
 * lookups).
 *
 * Canonical form (§3.3 of the Felix notes): `label == "v"`, `label != "v"`, `label contains "v"`,
 * `label starts with "v"`, `label ends with "v"`, `label in {"a", "b"}`, `label not in {...}`,
 * `has(label)`, `all()`, `global()`, `!` + operand, and `(x && y)` / `(x || y)` for And/Or nodes with
 * two or more operands, even at the top level. A value is quoted with `"` unless it contains `"`,
 * then with `'`.
 */
import { toSortedSet } from './string-set.js'

/** Where nodes read labels from: a `Map`, or anything with the same `get`. */
export interface LabelLookup {
  get(key: string): string | undefined
}

/** Quotes `value` as the canonical form does: `"v"`, or `'v'` when `v` contains `"`. */
export function quoteValue(value: string): string {
  return value.includes('"') ? `'${value}'` : `"${value}"`
}

/** `label == "value"`: true when the label is present with exactly this value. */
export class EqNode {
  readonly kind = 'eq'
  constructor(
    readonly label: string,
    readonly value: string
  ) {}
  evaluate(labels: LabelLookup): boolean {
    return labels.get(this.label) === this.value
  }
  render(out: string[]): void {
    out.push(this.label, ' == ', quoteValue(this.value))
  }
}

/** `label != "value"`: true when the label is absent or has another value. */
export class NeNode {
  readonly kind = 'ne'
  constructor(
    readonly label: string,
    readonly value: string
  ) {}
  evaluate(labels: LabelLookup): boolean {
    return labels.get(this.label) !== this.value
  }
  render(out: string[]): void {
    out.push(this.label, ' != ', quoteValue(this.value))
  }
}

/** `label contains "value"`: the label is present and its value contains `value`. */
export class ContainsNode {
  readonly kind = 'contains'
  constructor(
    readonly label: string,
    readonly value: string
  ) {}
  evaluate(labels: LabelLookup): boolean {
    const v = labels.get(this.label)
    return v !== undefined && v.includes(this.value)
  }
  render(out: string[]): void {
    out.push(this.label, ' contains ', quoteValue(this.value))
  }
}

/** `label starts with "value"`: the label is present and its value starts with `value`. */
export class StartsWithNode {
  readonly kind = 'startsWith'
  constructor(
    readonly label: string,
    readonly value: string
  ) {}
  evaluate(labels: LabelLookup): boolean {
    const v = labels.get(this.label)
    return v !== undefined && v.startsWith(this.value)
  }
  render(out: string[]): void {
    out.push(this.label, ' starts with ', quoteValue(this.value))
  }
}

/** `label ends with "value"`: the label is present and its value ends with `value`. */
export class EndsWithNode {
  readonly kind = 'endsWith'
  constructor(
    readonly label: string,
    readonly value: string
  ) {}
  evaluate(labels: LabelLookup): boolean {
    const v = labels.get(this.label)
    return v !== undefined && v.endsWith(this.value)
  }
  render(out: string[]): void {
    out.push(this.label, ' ends with ', quoteValue(this.value))
  }
}

function renderSet(out: string[], label: string, op: string, values: readonly string[]): void {
  out.push(label, op, '{')
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out.push(', ')
    out.push(quoteValue(values[i]!))
  }
  out.push('}')
}

/** `label in {"a", "b"}`: the label is present with one of the values. */
export class InNode {
  readonly kind = 'in'
  /** The distinct values, sorted by UTF-8 bytes. */
  readonly values: readonly string[]
  readonly #set: ReadonlySet<string>
  constructor(
    readonly label: string,
    values: Iterable<string>
  ) {
    this.values = toSortedSet(values)
    this.#set = new Set(this.values)
  }
  evaluate(labels: LabelLookup): boolean {
    const v = labels.get(this.label)
    return v !== undefined && this.#set.has(v)
  }
  render(out: string[]): void {
    renderSet(out, this.label, ' in ', this.values)
  }
}

/** `label not in {"a", "b"}`: the label is absent or has none of the values. */
export class NotInNode {
  readonly kind = 'notIn'
  /** The distinct values, sorted by UTF-8 bytes. */
  readonly values: readonly string[]
  readonly #set: ReadonlySet<string>
  constructor(
    readonly label: string,
    values: Iterable<string>
  ) {
    this.values = toSortedSet(values)
    this.#set = new Set(this.values)
  }
  evaluate(labels: LabelLookup): boolean {
    const v = labels.get(this.label)
    return v === undefined || !this.#set.has(v)
  }
  render(out: string[]): void {
    renderSet(out, this.label, ' not in ', this.values)
  }
}

/** `has(label)`: the label is present (with any value, even empty). */
export class HasNode {
  readonly kind = 'has'
  constructor(readonly label: string) {}
  evaluate(labels: LabelLookup): boolean {
    return labels.get(this.label) !== undefined
  }
  render(out: string[]): void {
    out.push('has(', this.label, ')')
  }
}

/** `all()`: always true. */
export class AllNode {
  readonly kind = 'all'
  evaluate(_labels: LabelLookup): boolean {
    return true
  }
  render(out: string[]): void {
    out.push('all()')
  }
}

/**
 * `global()`: always true when evaluated, like `all()`. Its "not namespaced" meaning exists only in
 * the namespaceSelector rewrite, where it becomes `!has(projectcalico.org/namespace)`.
 */
export class GlobalNode {
  readonly kind = 'global'
  evaluate(_labels: LabelLookup): boolean {
    return true
  }
  render(out: string[]): void {
    out.push('global()')
  }
}

/** `!operand`. The parser collapses an even number of leading `!` into no node at all. */
export class NotNode {
  readonly kind = 'not'
  constructor(readonly operand: SelectorNode) {}
  evaluate(labels: LabelLookup): boolean {
    return !this.operand.evaluate(labels)
  }
  render(out: string[]): void {
    out.push('!')
    this.operand.render(out)
  }
}

/** `(a && b && …)`: two or more operands, all true. */
export class AndNode {
  readonly kind = 'and'
  constructor(readonly operands: readonly SelectorNode[]) {}
  evaluate(labels: LabelLookup): boolean {
    const ops = this.operands
    for (let i = 0; i < ops.length; i++) if (!ops[i]!.evaluate(labels)) return false
    return true
  }
  render(out: string[]): void {
    renderNary(out, this.operands, ' && ')
  }
}

/** `(a || b || …)`: two or more operands, at least one true. */
export class OrNode {
  readonly kind = 'or'
  constructor(readonly operands: readonly SelectorNode[]) {}
  evaluate(labels: LabelLookup): boolean {
    const ops = this.operands
    for (let i = 0; i < ops.length; i++) if (ops[i]!.evaluate(labels)) return true
    return false
  }
  render(out: string[]): void {
    renderNary(out, this.operands, ' || ')
  }
}

function renderNary(out: string[], operands: readonly SelectorNode[], sep: string): void {
  out.push('(')
  for (let i = 0; i < operands.length; i++) {
    if (i > 0) out.push(sep)
    operands[i]!.render(out)
  }
  out.push(')')
}

/** Any node of a selector's syntax tree; switch on `kind`. */
export type SelectorNode =
  | EqNode
  | NeNode
  | ContainsNode
  | StartsWithNode
  | EndsWithNode
  | InNode
  | NotInNode
  | HasNode
  | AllNode
  | GlobalNode
  | NotNode
  | AndNode
  | OrNode

/** The canonical text of a node (Calico's `Selector.String()`). */
export function renderNode(node: SelectorNode): string {
  const out: string[] = []
  node.render(out)
  return out.join('')
}

/**
 * Walks over a syntax tree: collecting the label names a selector reads, and rebuilding a tree
 * with renamed labels (Calico's `PrefixVisitor`, used for `pcns.` / `pcsa.` prefixes).
 */
import {
  AndNode,
  ContainsNode,
  EndsWithNode,
  EqNode,
  HasNode,
  InNode,
  NeNode,
  NotInNode,
  NotNode,
  OrNode,
  StartsWithNode,
  type SelectorNode,
} from './ast.js'

/** Adds every label name `node` reads to `into`; returns `into`. */
export function collectLabelNames(node: SelectorNode, into: Set<string>): Set<string> {
  switch (node.kind) {
    case 'eq':
    case 'ne':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
    case 'in':
    case 'notIn':
    case 'has':
      into.add(node.label)
      break
    case 'all':
    case 'global':
      break
    case 'not':
      collectLabelNames(node.operand, into)
      break
    case 'and':
    case 'or':
      for (const op of node.operands) collectLabelNames(op, into)
      break
  }
  return into
}

/** A copy of `node` with every label name `l` replaced by `rename(l)`. */
export function mapLabelNames(node: SelectorNode, rename: (label: string) => string): SelectorNode {
  switch (node.kind) {
    case 'eq':
      return new EqNode(rename(node.label), node.value)
    case 'ne':
      return new NeNode(rename(node.label), node.value)
    case 'contains':
      return new ContainsNode(rename(node.label), node.value)
    case 'startsWith':
      return new StartsWithNode(rename(node.label), node.value)
    case 'endsWith':
      return new EndsWithNode(rename(node.label), node.value)
    case 'in':
      return new InNode(rename(node.label), node.values)
    case 'notIn':
      return new NotInNode(rename(node.label), node.values)
    case 'has':
      return new HasNode(rename(node.label))
    case 'all':
    case 'global':
      return node
    case 'not':
      return new NotNode(mapLabelNames(node.operand, rename))
    case 'and':
      return new AndNode(node.operands.map((op) => mapLabelNames(op, rename)))
    case 'or':
      return new OrNode(node.operands.map((op) => mapLabelNames(op, rename)))
  }
}

/**
 * For each label the tree reads, the constants it compares that label with (`==`, `!=`, `in`,
 * `not in`; `has` adds none), or `null` when the label is also matched by `contains` /
 * `starts with` / `ends with`. If a label keeps its presence and neither its old nor its new value
 * is among its constants, every leaf on it, and so the whole selector, keeps its result.
 */
export function labelConstants(
  node: SelectorNode,
  into = new Map<string, Set<string> | null>()
): Map<string, Set<string> | null> {
  const add = (label: string, values: readonly string[]): void => {
    let set = into.get(label)
    if (set === null) return
    if (set === undefined) into.set(label, (set = new Set()))
    for (const v of values) set.add(v)
  }
  switch (node.kind) {
    case 'eq':
    case 'ne':
      add(node.label, [node.value])
      break
    case 'in':
    case 'notIn':
      add(node.label, node.values)
      break
    case 'has':
      add(node.label, [])
      break
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      into.set(node.label, null)
      break
    case 'all':
    case 'global':
      break
    case 'not':
      labelConstants(node.operand, into)
      break
    case 'and':
    case 'or':
      for (const op of node.operands) labelConstants(op, into)
      break
  }
  return into
}

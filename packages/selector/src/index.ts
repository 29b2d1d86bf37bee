/**
 * @module @cattail/selector: the Calico selector language (parse, evaluate, canonical string,
 * unique id, ipset names, label restrictions) and an incremental label index that reports which
 * selectors match which labelled items as either side changes. Pure: no I/O, no clock.
 *
 * @example
 * ```ts
 * import { LabelIndex, parseSelector } from '@cattail/selector'
 * const sel = parseSelector('app == "web" && tier in {"fe", "be"}')
 * sel.evaluate({ app: 'web', tier: 'fe' }) // true
 * sel.toString() // '(app == "web" && tier in {"be", "fe"})'
 * sel.ipsetName(4) // 'cali40s:…' (31 characters)
 *
 * const index = new LabelIndex({
 *   onMatchStarted: (selId, itemId) => console.log('+', selId, itemId),
 *   onMatchStopped: (selId, itemId) => console.log('-', selId, itemId),
 * })
 * index.updateSelector('web', sel)
 * index.updateItem('pod-1', { app: 'web', tier: 'fe' }) // + web pod-1
 * ```
 */
export { SelectorParseError, LabelIndexReentrancyError } from './errors.js'
export { Selector, parseSelector, validateSelector, normaliseSelector } from './selector.js'
export { MAX_SELECTOR_LENGTH, MAX_SELECTOR_NESTING } from './parser.js'
export type { Labels } from './labels.js'
export type { SelectorNode, LabelLookup } from './ast.js'
export {
  EqNode,
  NeNode,
  ContainsNode,
  StartsWithNode,
  EndsWithNode,
  InNode,
  NotInNode,
  HasNode,
  AllNode,
  GlobalNode,
  NotNode,
  AndNode,
  OrNode,
  quoteValue,
} from './ast.js'
export {
  isSatisfiable,
  type LabelRestriction,
  type LabelRestrictions,
} from './label-restrictions.js'
export { MAX_LABEL_LENGTH, isValidLabelKey } from './tokenizer.js'
export { compareUtf8 } from './string-set.js'
export {
  MAX_IPSET_NAME_LENGTH,
  makeUniqueId,
  selectorUniqueId,
  mainIpsetName,
} from './unique-id.js'
export { LabelIndex, type LabelIndexCallbacks, type LabelIndexStats } from './label-index.js'

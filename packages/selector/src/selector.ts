/**
 * The public `Selector`: a parsed selector with its canonical string, unique id, ipset names and
 * label restrictions, plus the parse/validate/normalise entry points.
 *
 * Overview: `parseSelector(text)` tokenizes and parses once; the canonical string is computed
 * eagerly (it identifies the selector), while the unique id (a SHA-224), the label restrictions and
 * the set of label names are computed on first use and cached. A `Selector` is immutable.
 */
import { renderNode, type SelectorNode } from './ast.js'
import { collectLabelNames, mapLabelNames } from './ast-walk.js'
import { SelectorParseError } from './errors.js'
import { labelRestrictionsOf, type LabelRestrictions } from './label-restrictions.js'
import { labelLookup, type Labels } from './labels.js'
import { parseToNode } from './parser.js'
import { mainIpsetName, selectorUniqueId } from './unique-id.js'

/** A parsed, immutable selector. Build one with {@link parseSelector}. */
export class Selector {
  readonly #canonical: string
  #uniqueId: string | undefined
  #restrictions: LabelRestrictions | undefined
  #labelNames: ReadonlySet<string> | undefined

  /** Wraps a syntax tree; prefer {@link parseSelector}. */
  constructor(
    /** The syntax tree. */
    readonly root: SelectorNode
  ) {
    this.#canonical = renderNode(root)
  }

  /**
   * True when `labels` satisfy the selector. Maps are read directly; records are read through their
   * own properties only.
   */
  evaluate(labels: Labels): boolean {
    return this.root.evaluate(labelLookup(labels))
  }

  /** The canonical form (Calico `Selector.String()`), e.g. `(app == "web" && has(tier))`. */
  toString(): string {
    return this.#canonical
  }

  /** Calico `UniqueID()`: `s:` + base64url_nopad(SHA-224(`s:` + canonical)), 40 characters. */
  uniqueId(): string {
    return (this.#uniqueId ??= selectorUniqueId(this.#canonical))
  }

  /** Felix's ipset name for this selector: `cali40s:…` / `cali60s:…`, 31 characters. */
  ipsetName(ipVersion: 4 | 6): string {
    return mainIpsetName(this.uniqueId(), ipVersion)
  }

  /** Per-label necessary conditions for a match (Calico `LabelRestrictions()`). */
  labelRestrictions(): LabelRestrictions {
    return (this.#restrictions ??= labelRestrictionsOf(this.root))
  }

  /** Every label name the selector reads; a label change elsewhere cannot change its result. */
  labelNames(): ReadonlySet<string> {
    return (this.#labelNames ??= collectLabelNames(this.root, new Set()))
  }

  /** True when both selectors have the same canonical form. */
  equals(other: Selector): boolean {
    return other.#canonical === this.#canonical
  }

  /**
   * A copy with every label name prefixed (Calico `PrefixVisitor`), e.g. `pcns.` for a
   * namespaceSelector. `all()` and `global()` are left alone; their rewrite is the caller's.
   */
  withLabelPrefix(prefix: string): Selector {
    return new Selector(mapLabelNames(this.root, (l) => prefix + l))
  }
}

/**
 * Parses a selector. The empty string, or one of only spaces and tabs, is `all()`.
 * @throws {SelectorParseError} with Calico's message and the position of the problem.
 */
export function parseSelector(text: string): Selector {
  return new Selector(parseToNode(text))
}

/** The parse error of `text`, or undefined when it is a valid selector (`''` is valid). */
export function validateSelector(text: string): SelectorParseError | undefined {
  try {
    parseToNode(text)
    return undefined
  } catch (err) {
    if (err instanceof SelectorParseError) return err
    throw err
  }
}

/**
 * Calico `selector.Normalise`: the canonical form of `text` with surrounding whitespace (any kind)
 * removed, or `text` unchanged when it does not parse.
 */
export function normaliseSelector(text: string): string {
  try {
    return renderNode(parseToNode(text.trim()))
  } catch (err) {
    if (err instanceof SelectorParseError) return text
    throw err
  }
}

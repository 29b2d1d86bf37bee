/**
 * Recursive-descent parser for the Calico selector language (grammar in §3.1 of the Felix notes).
 *
 * Overview:
 * ```
 * selector  := <empty or spaces/tabs only> (≡ all()) | or_expr EOF
 * or_expr   := and_expr ( "||" and_expr )*
 * and_expr  := operation ( "&&" operation )*
 * operation := "!"* ( "(" or_expr ")" | has(l) | all() | global()
 *                   | l == s | l != s | l contains s | l starts with s | l ends with s
 *                   | l in set | l not in set )
 * set       := "{" [ s ( "," s )* [","] ] "}"
 * ```
 * Implementation: mirrors Calico's parser so that the same inputs fail with the same messages:
 * leading `!`s toggle (an even count adds no node), one level of `&&`/`||` becomes one n-ary node,
 * a parenthesised expression yields its inner node unchanged (so `(a && b) && c` keeps its nesting
 * and renders as `((a && b) && c)`), and a label needs at least two more tokens (EOF counts) before
 * its operator is examined.
 *
 * Limits (ours, not Calico's): a selector longer than {@link MAX_SELECTOR_LENGTH} characters or with
 * parentheses nested deeper than {@link MAX_SELECTOR_NESTING} is a parse error, so that a hostile
 * selector in a policy cannot exhaust the stack (a `RangeError` would escape every caller) or the CPU.
 */
import {
  AllNode,
  AndNode,
  ContainsNode,
  EndsWithNode,
  EqNode,
  GlobalNode,
  HasNode,
  InNode,
  NeNode,
  NotInNode,
  NotNode,
  OrNode,
  StartsWithNode,
  type SelectorNode,
} from './ast.js'
import { SelectorParseError } from './errors.js'
import { Tok, formatToken, tokenize, type Token, type TokenKind } from './tokenizer.js'

/** The longest selector accepted, in UTF-16 code units (64 KiB; real selectors are far shorter). */
export const MAX_SELECTOR_LENGTH = 65_536

/** The deepest nesting of parentheses accepted. */
export const MAX_SELECTOR_NESTING = 100

/** Parses `text` into a syntax tree; throws {@link SelectorParseError}. */
export function parseToNode(text: string): SelectorNode {
  if (text.length > MAX_SELECTOR_LENGTH) {
    throw new SelectorParseError(
      `selector too long: ${text.length} characters, the limit is ${MAX_SELECTOR_LENGTH}`,
      text,
      MAX_SELECTOR_LENGTH
    )
  }
  try {
    return new Parser(text, tokenize(text)).parseRoot()
  } catch (err) {
    // Defence in depth: the limits above keep the stack shallow, but no RangeError may ever escape.
    if (err instanceof RangeError) {
      throw new SelectorParseError(`selector too complex: ${err.message}`, text, 0)
    }
    throw err
  }
}

class Parser {
  #i = 0
  #depth = 0
  constructor(
    private readonly text: string,
    private readonly tokens: readonly Token[]
  ) {}

  parseRoot(): SelectorNode {
    if (this.#peek().kind === Tok.EOF) return new AllNode()
    const node = this.#parseOr()
    const rest = this.tokens.slice(this.#i)
    if (rest.length !== 1) {
      this.#fail(`unexpected content at end of selector [${rest.map(formatToken).join(' ')}]`)
    }
    return node
  }

  // The token at the cursor (+ offset). The EOF token is last, so clamping to it is safe.
  #peek(offset = 0): Token {
    const t = this.tokens
    return t[Math.min(this.#i + offset, t.length - 1)]!
  }

  #fail(message: string, tok: Token = this.#peek()): never {
    throw new SelectorParseError(message, this.text, tok.pos)
  }

  #parseOr(): SelectorNode {
    const first = this.#parseAnd()
    if (this.#peek().kind !== Tok.Or) return first
    const operands = [first]
    while (this.#peek().kind === Tok.Or) {
      this.#i++
      operands.push(this.#parseAnd())
    }
    return new OrNode(operands)
  }

  #parseAnd(): SelectorNode {
    const first = this.#parseOperation()
    if (this.#peek().kind !== Tok.And) return first
    const operands = [first]
    while (this.#peek().kind === Tok.And) {
      this.#i++
      operands.push(this.#parseOperation())
    }
    return new AndNode(operands)
  }

  #parseOperation(): SelectorNode {
    let negated = false
    while (this.#peek().kind === Tok.Not) {
      negated = !negated
      this.#i++
    }
    const node = this.#parseUnnegated()
    return negated ? new NotNode(node) : node
  }

  // Token kinds are numbers, so these dispatches are if-chains rather than (non-exhaustive) switches.
  #parseUnnegated(): SelectorNode {
    const tok = this.#peek()
    const kind = tok.kind
    if (kind === Tok.Label) return this.#parseLabelOp(tok)
    if (kind === Tok.Has || kind === Tok.All || kind === Tok.Global) {
      this.#i++
      if (kind === Tok.Has) return new HasNode(tok.value)
      return kind === Tok.All ? new AllNode() : new GlobalNode()
    }
    if (kind === Tok.LParen) {
      if (this.#depth >= MAX_SELECTOR_NESTING) {
        this.#fail(`parentheses nested too deeply: the limit is ${MAX_SELECTOR_NESTING}`)
      }
      this.#i++
      this.#depth++
      const inner = this.#parseOr()
      this.#depth--
      if (this.#peek().kind !== Tok.RParen) this.#fail('expected )')
      this.#i++
      return inner
    }
    return this.#fail(`unexpected token: ${formatToken(tok)}`)
  }

  #parseLabelOp(labelTok: Token): SelectorNode {
    // Calico needs the label, an operator and one more token (EOF counts) before looking closer.
    if (this.tokens.length - this.#i < 3) {
      this.#fail('unexpected end of string looking for op', this.#peek(1))
    }
    const label = labelTok.value
    const op = this.#peek(1).kind
    const arg = this.#peek(2)
    if (op === Tok.In || op === Tok.NotIn) {
      if (arg.kind !== Tok.LBrace) this.#fail('expected set literal', arg)
      this.#i += 3
      const values: string[] = []
      while (this.#peek().kind === Tok.StringLiteral) {
        values.push(this.#peek().value)
        this.#i++
        if (this.#peek().kind !== Tok.Comma) break
        this.#i++
      }
      if (this.#peek().kind !== Tok.RBrace) this.#fail('expected }')
      this.#i++
      return op === Tok.In ? new InNode(label, values) : new NotInNode(label, values)
    }
    const make = VALUE_OPS.get(op)
    if (make === undefined)
      this.#fail(`expected == or != not: ${formatToken(this.#peek(1))}`, this.#peek(1))
    if (arg.kind !== Tok.StringLiteral) this.#fail('expected string', arg)
    this.#i += 3
    return make(label, arg.value)
  }
}

const VALUE_OPS = new Map<TokenKind, (label: string, value: string) => SelectorNode>([
  [Tok.Eq, (l, v) => new EqNode(l, v)],
  [Tok.Ne, (l, v) => new NeNode(l, v)],
  [Tok.Contains, (l, v) => new ContainsNode(l, v)],
  [Tok.StartsWith, (l, v) => new StartsWithNode(l, v)],
  [Tok.EndsWith, (l, v) => new EndsWithNode(l, v)],
])

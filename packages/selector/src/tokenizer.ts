/**
 * Tokenizer for the Calico selector language.
 *
 * Overview: the whole input is tokenized before parsing (as Calico does), so a tokenizer error is
 * reported even when an earlier parser error exists. Whitespace is only space and tab.
 *
 * Implementation: one left-to-right scan with `charCodeAt`, no regular expressions. The keyword
 * operators (`contains`, `starts with`, `ends with`, `in`, `not in`) are recognised only directly
 * after a label token and need a word boundary after them (end of input or a non-label character);
 * `starts with`, `ends with` and `not in` allow any run of spaces/tabs, including none, between their
 * words. `has(`, `all(` and `global(` are recognised only with the `(` right after the word.
 *
 * Why not a regex per token: selectors are parsed by the thousand; a regex per token costs several
 * times more and makes error positions harder to compute.
 */
import { SelectorParseError } from './errors.js'

/** Token kinds; the numeric values index {@link TOKEN_KIND_NAMES}. */
export const Tok = {
  Label: 1,
  StringLiteral: 2,
  LBrace: 3,
  RBrace: 4,
  Comma: 5,
  Eq: 6,
  Ne: 7,
  In: 8,
  Not: 9,
  NotIn: 10,
  Contains: 11,
  StartsWith: 12,
  EndsWith: 13,
  All: 14,
  Has: 15,
  LParen: 16,
  RParen: 17,
  And: 18,
  Or: 19,
  Global: 20,
  EOF: 21,
} as const

/** One of the {@link Tok} values. */
export type TokenKind = (typeof Tok)[keyof typeof Tok]

/** Calico's names for the token kinds (Go `stringer` output), used in error messages. */
export const TOKEN_KIND_NAMES: readonly string[] = [
  'TokNone',
  'TokLabel',
  'TokStringLiteral',
  'TokLBrace',
  'TokRBrace',
  'TokComma',
  'TokEq',
  'TokNe',
  'TokIn',
  'TokNot',
  'TokNotIn',
  'TokContains',
  'TokStartsWith',
  'TokEndsWith',
  'TokAll',
  'TokHas',
  'TokLParen',
  'TokRParen',
  'TokAnd',
  'TokOr',
  'TokGlobal',
  'TokEOF',
]

/** A token: its kind, its value (label name or string contents; `''` otherwise) and its start index. */
export interface Token {
  readonly kind: TokenKind
  readonly value: string
  /** Index (UTF-16 code units) of the token's first character in the input. */
  readonly pos: number
}

/** Longest label key accepted (Calico `MaxLabelLength`), in characters. */
export const MAX_LABEL_LENGTH = 512

/** Renders a token as Calico does in messages: `TokLabel(app)`, `TokRParen()`. */
export function formatToken(tok: Token): string {
  return `${TOKEN_KIND_NAMES[tok.kind] ?? 'TokNone'}(${tok.value})`
}

/** True when `c` (a UTF-16 code unit) may appear in a label key: `[A-Za-z0-9_./-]`. */
export function isLabelChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 45 && c <= 57) || // '-' '.' '/' and 0-9 are contiguous
    c === 95 // '_'
  )
}

/** True when `label` is a valid label key (1–512 characters from `[A-Za-z0-9_./-]`). */
export function isValidLabelKey(label: string): boolean {
  if (label.length === 0 || label.length > MAX_LABEL_LENGTH) return false
  for (let i = 0; i < label.length; i++) if (!isLabelChar(label.charCodeAt(i))) return false
  return true
}

const SPACE = 32
const TAB = 9

/** Splits `input` into tokens, always ending with an EOF token; throws {@link SelectorParseError}. */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  const n = input.length
  let i = 0
  const fail = (message: string, pos: number): never => {
    throw new SelectorParseError(message, input, pos)
  }
  const skipWs = (from: number): number => {
    let j = from
    while (j < n) {
      const c = input.charCodeAt(j)
      if (c !== SPACE && c !== TAB) break
      j++
    }
    return j
  }
  // Reads a label at `from`; returns its end index. Fails on an empty or over-long label.
  const cutIdentifier = (from: number): number => {
    let j = from
    while (j < n && isLabelChar(input.charCodeAt(j))) j++
    if (j === from) fail('expected identifier', from)
    if (j - from > MAX_LABEL_LENGTH) fail(`label too long: ${input.slice(from, j)}`, from)
    return j
  }
  // End of the keyword `word` at `from`, or -1 when it is not there.
  const cutWord = (from: number, word: string): number =>
    input.startsWith(word, from) ? from + word.length : -1
  const atBoundary = (j: number): boolean => j >= n || !isLabelChar(input.charCodeAt(j))
  // Matches one or more words separated by optional whitespace, with a word boundary after the last.
  const cutKeyword = (from: number, first: string, second?: string): number => {
    let j = cutWord(from, first)
    if (j < 0) return -1
    if (second !== undefined) {
      j = cutWord(skipWs(j), second)
      if (j < 0) return -1
    }
    return atBoundary(j) ? j : -1
  }
  const push = (kind: TokenKind, pos: number, value = ''): void => {
    tokens.push({ kind, value, pos })
  }

  for (;;) {
    i = skipWs(i)
    if (i >= n) {
      push(Tok.EOF, n)
      return tokens
    }
    const start = i
    const c = input.charCodeAt(i)
    switch (c) {
      case 40: // (
        push(Tok.LParen, start)
        i++
        break
      case 41: // )
        push(Tok.RParen, start)
        i++
        break
      case 34: // "
      case 39: {
        // '
        const close = input.indexOf(c === 34 ? '"' : "'", i + 1)
        if (close < 0) fail('unterminated string', start)
        push(Tok.StringLiteral, start, input.slice(i + 1, close))
        i = close + 1
        break
      }
      case 123: // {
        push(Tok.LBrace, start)
        i++
        break
      case 125: // }
        push(Tok.RBrace, start)
        i++
        break
      case 44: // ,
        push(Tok.Comma, start)
        i++
        break
      case 61: // =
        if (input.charCodeAt(i + 1) !== 61) fail('expected ==', start)
        push(Tok.Eq, start)
        i += 2
        break
      case 33: // !
        if (input.charCodeAt(i + 1) === 61) {
          push(Tok.Ne, start)
          i += 2
        } else {
          push(Tok.Not, start)
          i++
        }
        break
      case 38: // &
        if (input.charCodeAt(i + 1) !== 38) fail('expected &&', start)
        push(Tok.And, start)
        i += 2
        break
      case 124: // |
        if (input.charCodeAt(i + 1) !== 124) fail('expected ||', start)
        push(Tok.Or, start)
        i += 2
        break
      default:
        i = tokenizeWord(start)
    }
  }

  // Labels, keyword operators and has(/all(/global(. Returns the index after the token.
  function tokenizeWord(start: number): number {
    const last = tokens.length > 0 ? tokens[tokens.length - 1] : undefined
    if (last?.kind === Tok.Label) {
      // Directly after a label only an operator may follow.
      let j: number
      if ((j = cutKeyword(start, 'contains')) >= 0) push(Tok.Contains, start)
      else if ((j = cutKeyword(start, 'starts', 'with')) >= 0) push(Tok.StartsWith, start)
      else if ((j = cutKeyword(start, 'ends', 'with')) >= 0) push(Tok.EndsWith, start)
      else if ((j = cutKeyword(start, 'not', 'in')) >= 0) push(Tok.NotIn, start)
      else if ((j = cutKeyword(start, 'in')) >= 0) push(Tok.In, start)
      else return fail(`expected operator after label "${last.value}"`, start)
      return j
    }
    if (input.startsWith('has(', start)) {
      const labelStart = skipWs(start + 4)
      const labelEnd = cutIdentifier(labelStart)
      const close = skipWs(labelEnd)
      if (input.charCodeAt(close) !== 41) fail("no closing ')' after has(", close)
      push(Tok.Has, start, input.slice(labelStart, labelEnd))
      return close + 1
    }
    for (const [word, kind] of EMPTY_CALLS) {
      if (input.startsWith(word, start)) {
        const close = skipWs(start + word.length)
        if (input.charCodeAt(close) !== 41) fail(`no closing ')' after ${word}`, close)
        push(kind, start)
        return close + 1
      }
    }
    const end = cutIdentifier(start)
    push(Tok.Label, start, input.slice(start, end))
    return end
  }
}

const EMPTY_CALLS: ReadonlyArray<readonly [string, TokenKind]> = [
  ['all(', Tok.All],
  ['global(', Tok.Global],
]

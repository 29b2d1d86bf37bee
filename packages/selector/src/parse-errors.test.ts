import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { isMeshError } from '@cattail/common'
import { SelectorParseError } from './errors.js'
import { MAX_SELECTOR_LENGTH, MAX_SELECTOR_NESTING } from './parser.js'
import { normaliseSelector, parseSelector, validateSelector } from './selector.js'

/** [selector, Calico message, position] */
const INVALID: ReadonlyArray<readonly [string, string, number]> = [
  // tokenizer
  ['a == "b', 'unterminated string', 5],
  ["a == 'b", 'unterminated string', 5],
  ['a = "b"', 'expected ==', 2],
  ['a == "b" & b == "c"', 'expected &&', 9],
  ['a == "b" | b == "c"', 'expected ||', 9],
  ['a b', 'expected operator after label "a"', 2],
  ['a inf {"x"}', 'expected operator after label "a"', 2],
  ['a containsx "y"', 'expected operator after label "a"', 2],
  ['a startswithx "y"', 'expected operator after label "a"', 2],
  ['a starts "y"', 'expected operator after label "a"', 2],
  ['a ends  wit "y"', 'expected operator after label "a"', 2],
  ['a not {"x"}', 'expected operator after label "a"', 2],
  ['a notinx {"x"}', 'expected operator after label "a"', 2],
  ['a has(b)', 'expected operator after label "a"', 2],
  ['has(a', "no closing ')' after has(", 5],
  ['has( a b)', "no closing ')' after has(", 7],
  ['all(x)', "no closing ')' after all(", 4],
  ['all(  ', "no closing ')' after all(", 6],
  ['global(a)', "no closing ')' after global(", 7],
  ['has()', 'expected identifier', 4],
  ['has( "a")', 'expected identifier', 5],
  ['a == "b"\n', 'expected identifier', 8],
  ['a == "b" && @x == "y"', 'expected identifier', 12],
  ['a == "é" && ü == "y"', 'expected identifier', 12],
  [`${'x'.repeat(513)} == "y"`, `label too long: ${'x'.repeat(513)}`, 0],
  [`has(${'y'.repeat(513)})`, `label too long: ${'y'.repeat(513)}`, 4],
  // parser
  ['a == "b")', 'unexpected content at end of selector [TokRParen() TokEOF()]', 8],
  [
    'a == "b" c == "d"',
    'unexpected content at end of selector [TokLabel(c) TokEq() TokStringLiteral(d) TokEOF()]',
    9,
  ],
  ['has(a) has(b)', 'unexpected content at end of selector [TokHas(b) TokEOF()]', 7],
  ['a', 'unexpected end of string looking for op', 1],
  ['(a  ', 'unexpected end of string looking for op', 4],
  ['(a == "b"', 'expected )', 9],
  ['(a == "b" b == "c")', 'expected )', 10],
  ['a in {"x"', 'expected }', 9],
  ['a in {"x" "y"}', 'expected }', 10],
  ['a in {,}', 'expected }', 6],
  ['a in {"x",,}', 'expected }', 10],
  ['a ==', 'expected string', 4],
  ['a == b', 'expected string', 5],
  ['a contains {}', 'expected string', 11],
  ['a in b', 'expected set literal', 5],
  ['a not in "b"', 'expected set literal', 9],
  ['a in', 'expected set literal', 4],
  ['a )', 'expected == or != not: TokRParen()', 2],
  ['a "x"', 'expected == or != not: TokStringLiteral(x)', 2],
  ['has (a)', 'expected == or != not: TokLParen()', 4],
  ['a !in {}', 'expected == or != not: TokNot()', 2],
  [')', 'unexpected token: TokRParen()', 0],
  ['!', 'unexpected token: TokEOF()', 1],
  ['a == "x" &&', 'unexpected token: TokEOF()', 11],
  ['a == "x" || || b == "y"', 'unexpected token: TokOr()', 12],
  ['!= "x"', 'unexpected token: TokNe()', 0],
  ['"x" == a', 'unexpected token: TokStringLiteral(x)', 0],
  ['()', 'unexpected token: TokRParen()', 1],
]

void describe('selector parse errors', () => {
  for (const [text, message, position] of INVALID) {
    void it(`${JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text)} fails with "${message.slice(0, 60)}" at ${position}`, () => {
      assert.throws(
        () => parseSelector(text),
        (err: unknown) => {
          assert.ok(err instanceof SelectorParseError)
          assert.equal(err.message, message)
          assert.equal(err.position, position)
          assert.equal(err.selector, text)
          assert.equal(err.code, 'ERR_SELECTOR_PARSE')
          assert.ok(isMeshError(err, 'ERR_SELECTOR_PARSE'))
          return true
        }
      )
      const v = validateSelector(text)
      assert.ok(v instanceof SelectorParseError)
      assert.equal(v.message, message)
      assert.equal(v.position, position)
    })
  }

  void it('a tokenizer error wins over an earlier parser error (the whole input is tokenized first)', () => {
    assert.equal(validateSelector(') a b')?.message, 'expected operator after label "a"')
  })

  void it('validateSelector accepts the empty string, blanks and every valid selector', () => {
    for (const ok of ['', '   ', '\t \t', 'all()', 'a == "b"', '!has(a) && b in {}']) {
      assert.equal(validateSelector(ok), undefined, ok)
    }
  })

  void it('a newline is not whitespace, even around a valid selector', () => {
    assert.equal(validateSelector('\nall()')?.message, 'expected identifier')
    assert.equal(validateSelector('all()\n')?.message, 'expected identifier')
    assert.equal(validateSelector('\r')?.message, 'expected identifier')
  })

  void it('a 512-character label is fine and 513 is too long', () => {
    assert.equal(validateSelector(`has(${'a'.repeat(512)})`), undefined)
    assert.equal(validateSelector(`${'a'.repeat(512)} == ""`), undefined)
    assert.match(validateSelector(`has(${'a'.repeat(513)})`)?.message ?? '', /^label too long: a+$/)
  })

  void it('deep nesting and huge inputs are parse errors, never a RangeError', () => {
    const ok = '('.repeat(MAX_SELECTOR_NESTING) + 'a == "b"' + ')'.repeat(MAX_SELECTOR_NESTING)
    assert.equal(validateSelector(ok), undefined)
    const deep =
      '('.repeat(MAX_SELECTOR_NESTING + 1) + 'a == "b"' + ')'.repeat(MAX_SELECTOR_NESTING + 1)
    const err = validateSelector(deep)
    assert.ok(err instanceof SelectorParseError)
    assert.equal(err.message, `parentheses nested too deeply: the limit is ${MAX_SELECTOR_NESTING}`)
    assert.equal(err.position, MAX_SELECTOR_NESTING)
    // The reproducer: 5,000 nested parentheses (about 10 KB).
    const attack = '('.repeat(5000) + 'a == "b"' + ')'.repeat(5000)
    assert.match(validateSelector(attack)?.message ?? '', /nested too deeply/)
    assert.throws(() => parseSelector(attack), SelectorParseError)
    assert.equal(normaliseSelector(attack), attack)
    // Unbalanced: only opening parentheses.
    assert.match(validateSelector('('.repeat(20_000))?.message ?? '', /too deeply|too long/)
    const long = 'a == "' + 'x'.repeat(MAX_SELECTOR_LENGTH) + '"'
    const tooLong = validateSelector(long)
    assert.ok(tooLong instanceof SelectorParseError)
    assert.match(tooLong.message, /^selector too long: \d+ characters, the limit is 65536$/)
    // Many flat operands are fine (n-ary nodes, no recursion per operand).
    const flat = Array.from({ length: 2000 }, (_, i) => `l${i} == "v"`).join(' && ')
    assert.equal(validateSelector(flat), undefined)
    assert.equal(validateSelector('!'.repeat(10_000) + 'all()'), undefined)
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { parseSelector } from './selector.js'

/** [selector, labels, expected] */
const CASES: ReadonlyArray<readonly [string, Record<string, string>, boolean]> = [
  // == and !=
  ['a == "b"', { a: 'b' }, true],
  ['a == "b"', { a: 'c' }, false],
  ['a == "b"', {}, false],
  ['a == ""', { a: '' }, true],
  ['a == ""', {}, false],
  ['a == "B"', { a: 'b' }, false],
  ['a != "b"', { a: 'b' }, false],
  ['a != "b"', { a: 'c' }, true],
  ['a != "b"', {}, true],
  // contains / starts with / ends with, every spelling
  ['a contains "ell"', { a: 'hello' }, true],
  ['a contains "xyz"', { a: 'hello' }, false],
  ['a contains ""', { a: '' }, true],
  ['a contains ""', {}, false],
  ['a starts with "he"', { a: 'hello' }, true],
  ['a startswith "lo"', { a: 'hello' }, false],
  ['a starts \t with"he"', { a: 'hello' }, true],
  ['a starts with "x"', {}, false],
  ['a ends with "lo"', { a: 'hello' }, true],
  ['a endswith "he"', { a: 'hello' }, false],
  ["a ends  with'lo'", { a: 'hello' }, true],
  ['a ends with "x"', {}, false],
  // in / not in
  ['a in {"x", "y"}', { a: 'y' }, true],
  ['a in {"x", "y"}', { a: 'z' }, false],
  ['a in {"x", "y"}', {}, false],
  ['a in {}', { a: '' }, false],
  ['a in {"x",}', { a: 'x' }, true],
  ['a not in {"x", "y"}', { a: 'y' }, false],
  ['a not in {"x", "y"}', { a: 'z' }, true],
  ['a not in {"x", "y"}', {}, true],
  ['a notin {"x"}', { a: 'x' }, false],
  ['a not\tin{"x"}', { a: 'q' }, true],
  ['a not in {}', {}, true],
  // has, all, global
  ['has(a)', { a: '' }, true],
  ['has(a)', { b: 'a' }, false],
  ['has( \ta\t )', { a: 'x' }, true],
  ['!has(a)', {}, true],
  ['!has(a)', { a: 'x' }, false],
  ['all()', {}, true],
  ['all( )', { a: 'b' }, true],
  ['global()', {}, true],
  ['!global()', {}, false],
  ['!all()', { a: 'b' }, false],
  // boolean operators and precedence
  ['a == "1" && b == "2"', { a: '1', b: '2' }, true],
  ['a == "1" && b == "2"', { a: '1' }, false],
  ['a == "1" || b == "2"', { b: '2' }, true],
  ['a == "1" || b == "2"', {}, false],
  ['a == "1" || b == "2" && c == "3"', { b: '2' }, false],
  ['a == "1" || b == "2" && c == "3"', { a: '1' }, true],
  ['(a == "1" || b == "2") && c == "3"', { b: '2' }, false],
  ['(a == "1" || b == "2") && c == "3"', { b: '2', c: '3' }, true],
  ['!a == "1"', { a: '2' }, true],
  ['!a == "1"', { a: '1' }, false],
  ['!a == "1" && has(b)', { b: 'x' }, true],
  ['!!has(a)', { a: 'x' }, true],
  ['!!!has(a)', { a: 'x' }, false],
  ['!(a == "1" || has(b))', { c: 'x' }, true],
  ['!(a == "1" || has(b))', { b: 'x' }, false],
  ['((((has(a)))))', { a: '' }, true],
  // quoting: either quote, the other one inside, no escapes
  ["a == 'b'", { a: 'b' }, true],
  ['a == \'say "hi"\'', { a: 'say "hi"' }, true],
  ['a == "it\'s"', { a: "it's" }, true],
  ['a == "a\\b"', { a: 'a\\b' }, true],
  ['a == " spaced\t"', { a: ' spaced\t' }, true],
  ['a == "&& || ! ( )"', { a: '&& || ! ( )' }, true],
  ['a == "😀é"', { a: '😀é' }, true],
  // whitespace is space and tab only, anywhere between tokens
  ['\t a\t==\t"b" \t', { a: 'b' }, true],
  ['a=="b"&&b=="c"', { a: 'b', b: 'c' }, true],
  // label charset, keywords as labels
  ['x.y/z-1_2 == "v"', { 'x.y/z-1_2': 'v' }, true],
  ['123 == ""', { '123': '' }, true],
  ['-a. == "v"', { '-a.': 'v' }, true],
  ['contains contains "contains"', { contains: 'xcontainsx' }, true],
  ['in in {"in"}', { in: 'in' }, true],
  ['not not in {"not"}', { not: 'x' }, true],
  ['starts starts with "s"', { starts: 'sx' }, true],
  ['has == "x"', { has: 'x' }, true],
  ['all != "x"', { all: 'y' }, true],
  ['global == ""', { global: '' }, true],
  ['a contains"x"', { a: 'x' }, true],
  ['a in{"x"}', { a: 'x' }, true],
  // the comparison is case-sensitive, on exact values
  ['A == "b"', { a: 'b' }, false],
  // label names that exist on Object.prototype are not found in plain records
  ['has(constructor)', {}, false],
  ['has(__proto__)', {}, false],
  ['toString != "x"', {}, true],
  ['has(constructor)', { constructor: 'x' }, true],
]

void describe('selector evaluation', () => {
  for (const [text, labels, want] of CASES) {
    void it(`${text} on ${JSON.stringify(labels)} is ${want}`, () => {
      const sel = parseSelector(text)
      assert.equal(sel.evaluate(labels), want, 'record')
      assert.equal(sel.evaluate(new Map(Object.entries(labels))), want, 'map')
      // Re-parsing the canonical form must not change the result.
      assert.equal(parseSelector(sel.toString()).evaluate(labels), want, 'canonical re-parse')
    })
  }

  void it('the empty and blank selectors are all() and match everything', () => {
    for (const text of ['', ' ', '\t\t ']) {
      const sel = parseSelector(text)
      assert.equal(sel.toString(), 'all()')
      assert.equal(sel.evaluate({}), true)
      assert.equal(sel.evaluate({ a: 'b' }), true)
    }
  })

  void it('evaluates against any ReadonlyMap-like object with get()', () => {
    const lookups: string[] = []
    const custom = {
      get(k: string) {
        lookups.push(k)
        return k === 'a' ? 'b' : undefined
      },
    } as unknown as ReadonlyMap<string, string>
    assert.equal(parseSelector('a == "b" && !has(c)').evaluate(custom), true)
    assert.deepEqual(lookups, ['a', 'c'])
  })

  void it('a record with a label named "get" is still read as a record', () => {
    assert.equal(parseSelector('get == "x"').evaluate({ get: 'x' }), true)
  })

  void it('&& and || short-circuit left to right', () => {
    const seen: string[] = []
    const labels = {
      get(k: string) {
        seen.push(k)
        return k === 'a' ? '1' : undefined
      },
    } as unknown as ReadonlyMap<string, string>
    parseSelector('a == "1" || b == "2"').evaluate(labels)
    parseSelector('c == "1" && d == "2"').evaluate(labels)
    assert.deepEqual(seen, ['a', 'c'])
  })
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { parseSelector, normaliseSelector, Selector, validateSelector } from './selector.js'
import { compareUtf8 } from './string-set.js'
import { createPrng } from './testing/prng.js'
import { randomLabels, randomSelector, TRICKY_OPTIONS } from './testing/random-selectors.js'
import { AndNode, HasNode, NotNode } from './ast.js'

/** [input, canonical] */
const CANONICAL: ReadonlyArray<readonly [string, string]> = [
  ['', 'all()'],
  [' \t ', 'all()'],
  [' (all() )', 'all()'],
  ['global( )', 'global()'],
  ['a=="b"', 'a == "b"'],
  ["a=='b'", 'a == "b"'],
  ['a == \'say "hi"\'', 'a == \'say "hi"\''],
  ['a == "it\'s"', 'a == "it\'s"'],
  ['a!="b"', 'a != "b"'],
  ['a   contains   "b"', 'a contains "b"'],
  ['a startswith "b"', 'a starts with "b"'],
  ['a starts\t\twith "b"', 'a starts with "b"'],
  ['a endswith "b"', 'a ends with "b"'],
  ['a notin {"b"}', 'a not in {"b"}'],
  ['a in {}', 'a in {}'],
  ['a not in {  }', 'a not in {}'],
  ['a in {"z", "a", "m", "a", }', 'a in {"a", "m", "z"}'],
  ['a in {\'x"y\', "b"}', 'a in {"b", \'x"y\'}'],
  ['has( a )', 'has(a)'],
  ['!has(a)', '!has(a)'],
  ['!!has(a)', 'has(a)'],
  ['!!!has(a)', '!has(a)'],
  ['! ! ! ! has(a)', 'has(a)'],
  ['!(!has(a))', '!!has(a)'],
  ['!a == "b"', '!a == "b"'],
  ['!(a == "b")', '!a == "b"'],
  ['a == "1" && b == "2"', '(a == "1" && b == "2")'],
  ['a == "1" && b == "2" && c == "3"', '(a == "1" && b == "2" && c == "3")'],
  ['a == "1" || b == "2" || c == "3"', '(a == "1" || b == "2" || c == "3")'],
  ['a == "1" || b == "2" && c == "3"', '(a == "1" || (b == "2" && c == "3"))'],
  ['(a == "b" && b == "c") && c == "d"', '((a == "b" && b == "c") && c == "d")'],
  ['a == "b" && (b == "c" && c == "d")', '(a == "b" && (b == "c" && c == "d"))'],
  ['((a == "b"))', 'a == "b"'],
  ['((a == "b" || has(c)))', '(a == "b" || has(c))'],
  ['!(has(b) || !has(a))', '!(has(b) || !has(a))'],
  ['!(a == "1" && b == "2") || all()', '(!(a == "1" && b == "2") || all())'],
]

void describe('canonical form', () => {
  for (const [input, want] of CANONICAL) {
    void it(`${JSON.stringify(input)} → ${want}`, () => {
      const sel = parseSelector(input)
      assert.equal(sel.toString(), want)
      assert.equal(String(sel), want)
    })
  }

  void it('canonical strings re-parse to themselves (except a literal !! from !(!x), which collapses)', () => {
    for (const [, want] of CANONICAL) {
      const again = parseSelector(want).toString()
      if (want.includes('!!')) assert.equal(again, want.replace('!!', ''))
      else assert.equal(again, want)
    }
  })

  void it('sorts set values by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 9F 98 80); in UTF-16 the
    // surrogate 0xD83D sorts first.
    const sel = parseSelector('a in {"😀", "～", "z", "é"}')
    assert.equal(sel.toString(), 'a in {"z", "é", "～", "😀"}')
    assert.ok('😀' < '～', 'UTF-16 order differs')
    assert.ok(compareUtf8('～', '😀') < 0)
    assert.ok(compareUtf8('a', 'ab') < 0)
    assert.equal(compareUtf8('é', 'é'), 0)
  })

  void it('equals compares canonical forms', () => {
    assert.ok(parseSelector('a=="b"&&has(c)').equals(parseSelector(" a == 'b'  &&  has( c )")))
    assert.ok(!parseSelector('a == "b"').equals(parseSelector('a != "b"')))
  })

  void it('normaliseSelector trims any whitespace and keeps invalid input unchanged', () => {
    assert.equal(normaliseSelector('\n a=="b" \n'), 'a == "b"')
    assert.equal(normaliseSelector('a ='), 'a =')
    assert.equal(normaliseSelector(''), 'all()')
  })

  void it('withLabelPrefix renames every label and leaves all()/global() alone', () => {
    const sel = parseSelector('a == "1" && (has(b) || c not in {"x"}) && all()')
    assert.equal(
      sel.withLabelPrefix('pcns.').toString(),
      '(pcns.a == "1" && (has(pcns.b) || pcns.c not in {"x"}) && all())'
    )
  })

  void it('a Selector built from nodes renders like a parsed one', () => {
    const sel = new Selector(new AndNode([new HasNode('a'), new NotNode(new HasNode('b'))]))
    assert.equal(sel.toString(), '(has(a) && !has(b))')
    assert.ok(sel.equals(parseSelector('has(a) && !has(b)')))
  })
})

void describe('unique ids and ipset names', () => {
  const VECTORS: ReadonlyArray<readonly [string, string]> = [
    ['all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
    ['!(has(b) || !has(a))', 's:Iss0uCleLYv1GSv_pNm7hAO58kE9jAx1NKyG3Q'],
    [
      '(projectcalico.org/namespace == "prod" && role == "frontend")',
      's:m3eXIwiWO3PancqVUbrGUUHrl3pQMEvdNXCATw',
    ],
  ]
  for (const [text, uid] of VECTORS) {
    void it(`${text} has unique id ${uid}`, () => {
      const sel = parseSelector(text)
      assert.equal(sel.uniqueId(), uid)
      assert.equal(sel.uniqueId().length, 40)
      assert.equal(sel.ipsetName(4), `cali40${uid}`.slice(0, 31))
      assert.equal(sel.ipsetName(6), `cali60${uid}`.slice(0, 31))
    })
  }

  void it('all() (and the empty selector) use ipset cali40s:5y5I3VdRZfDU01O--xXAPx2', () => {
    assert.equal(parseSelector('').ipsetName(4), 'cali40s:5y5I3VdRZfDU01O--xXAPx2')
    assert.equal(parseSelector('all()').ipsetName(4).length, 31)
  })

  void it('the id depends only on the canonical form', () => {
    assert.equal(
      parseSelector("(projectcalico.org/namespace=='prod')&&role=='frontend'").uniqueId(),
      's:m3eXIwiWO3PancqVUbrGUUHrl3pQMEvdNXCATw'
    )
    assert.notEqual(parseSelector('has(a)').uniqueId(), parseSelector('has(b)').uniqueId())
  })
})

void describe('canonical form, randomised (seeded)', () => {
  void it('3,000 random selectors parse to the independently computed canonical form and evaluation', () => {
    const prng = createPrng(20261121)
    for (let i = 0; i < 3000; i++) {
      const gen = randomSelector(prng, TRICKY_OPTIONS)
      const sel = parseSelector(gen.text)
      assert.equal(sel.toString(), gen.canonical, gen.text)
      // Canonical form is a fixed point after at most one more round (a literal "!!" collapses).
      const again = parseSelector(sel.toString())
      assert.equal(parseSelector(again.toString()).toString(), again.toString())
      if (!sel.toString().includes('!!')) assert.equal(again.uniqueId(), sel.uniqueId())
      for (let j = 0; j < 8; j++) {
        const labels = randomLabels(prng, TRICKY_OPTIONS.labels, TRICKY_OPTIONS.values, 0.4)
        const want = gen.evaluate(labels)
        assert.equal(sel.evaluate(labels), want, `${gen.text} on ${JSON.stringify([...labels])}`)
        assert.equal(again.evaluate(labels), want, 'after re-parsing the canonical form')
      }
    }
  })

  void it('validateSelector agrees with parseSelector on random mutations of valid selectors', () => {
    const prng = createPrng(7)
    const junk = ['', ' ', '(', ')', '!', '=', '"', "'", '{', '}', ',', '&', '|', 'in', 'a', '\n']
    for (let i = 0; i < 3000; i++) {
      const base = randomSelector(prng, TRICKY_OPTIONS).text
      const at = prng.int(base.length + 1)
      const cut = prng.int(3)
      const text = base.slice(0, at) + prng.pick(junk) + base.slice(at + cut)
      let parseError: unknown
      try {
        parseSelector(text)
      } catch (err) {
        parseError = err
      }
      const v = validateSelector(text)
      if (parseError === undefined) assert.equal(v, undefined, text)
      else assert.equal(v?.message, (parseError as Error).message, text)
    }
  })
})

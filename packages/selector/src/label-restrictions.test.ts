import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { isSatisfiable, type LabelRestriction } from './label-restrictions.js'
import { parseSelector } from './selector.js'

type R = Partial<LabelRestriction>
const P = (values?: string[]): R => ({ mustBePresent: true, mustHaveOneOfValues: values })
const ABSENT: R = { mustBeAbsent: true }

/** [selector, expected restrictions by label] */
const CASES: ReadonlyArray<readonly [string, Record<string, R>]> = [
  ['all()', {}],
  ['global()', {}],
  ['a == "b"', { a: P(['b']) }],
  ['a in {"y", "x", "y"}', { a: P(['x', 'y']) }],
  ['a in {}', { a: P([]) }],
  ['has(a)', { a: P() }],
  ['a contains "x"', { a: P() }],
  ['a starts with "x"', { a: P() }],
  ['a ends with "x"', { a: P() }],
  ['!has(a)', { a: ABSENT }],
  ['a != "b"', {}],
  ['a not in {"b"}', {}],
  ['!a == "b"', {}],
  ['!(has(a) && has(b))', {}],
  ['!!has(a)', { a: P() }],
  // AND: flags ORed, values intersected
  ['a == "b" && c == "d"', { a: P(['b']), c: P(['d']) }],
  ['a in {"x", "y"} && a in {"y", "z"}', { a: P(['y']) }],
  ['a == "x" && a == "y"', { a: P([]) }],
  ['has(a) && a == "x"', { a: P(['x']) }],
  ['has(a) && !has(a)', { a: { mustBePresent: true, mustBeAbsent: true } }],
  ['!has(a) && b != "x"', { a: ABSENT }],
  // OR: only labels restricted on every branch; values unioned
  ['a == "x" || a == "y"', { a: P(['x', 'y']) }],
  ['a == "x" || a in {"z", "w"}', { a: P(['w', 'x', 'z']) }],
  ['a == "x" || has(a)', { a: P() }],
  ['has(a) || a == "x"', { a: P() }],
  ['a == "x" || b == "y"', {}],
  ['a == "x" || all()', {}],
  ['!has(a) || !has(a)', { a: ABSENT }],
  ['!has(a) || has(a)', {}],
  ['(a == "x" && b == "y") || (a == "z" && c == "w")', { a: P(['x', 'z']) }],
  ['(a == "x" || a == "y") && a != "x"', { a: P(['x', 'y']) }],
  [
    'projectcalico.org/namespace == "ns" && app in {"a", "b"}',
    {
      'projectcalico.org/namespace': P(['ns']),
      app: P(['a', 'b']),
    },
  ],
]

void describe('label restrictions', () => {
  for (const [text, want] of CASES) {
    void it(`${text} → ${JSON.stringify(want)}`, () => {
      const got = Object.fromEntries(
        [...parseSelector(text).labelRestrictions()].map(([l, r]) => [l, { ...r }])
      )
      const full = Object.fromEntries(
        Object.entries(want).map(([l, r]) => [
          l,
          {
            mustBePresent: r.mustBePresent ?? false,
            mustBeAbsent: r.mustBeAbsent ?? false,
            mustHaveOneOfValues: r.mustHaveOneOfValues,
          },
        ])
      )
      assert.deepEqual(got, full)
    })
  }

  void it('isSatisfiable is false for present-and-absent and for an empty value list', () => {
    const rs = (t: string) => [...parseSelector(t).labelRestrictions().values()]
    assert.equal(rs('has(a) && !has(a)').every(isSatisfiable), false)
    assert.equal(rs('a == "x" && a == "y"').every(isSatisfiable), false)
    assert.equal(rs('a in {}').every(isSatisfiable), false)
    assert.equal(rs('a == "x" && has(b)').every(isSatisfiable), true)
  })
})

/**
 * Random selector generator for property tests.
 *
 * Overview: builds a random selector *source text* (random whitespace, quote styles, operator
 * spellings, redundant parentheses, repeated `!`, unsorted sets with duplicates and trailing commas)
 * together with the canonical form and an evaluator computed independently of the package's parser
 * and renderer, so tests can compare the two.
 */
import type { Prng } from './prng.js'

/** Pools the generator draws from. */
export interface RandomSelectorOptions {
  /** Label names (must be valid label keys). */
  readonly labels: readonly string[]
  /** Values; none may contain both `"` and `'`. */
  readonly values: readonly string[]
  /** Maximum nesting of parenthesised sub-expressions. @default 3 */
  readonly maxDepth?: number
}

/** A generated selector: its source, expected canonical form and a reference evaluator. */
export interface RandomSelector {
  readonly text: string
  readonly canonical: string
  evaluate(labels: ReadonlyMap<string, string>): boolean
}

/** Labels and values that exercise keywords, quoting and byte ordering. */
export const TRICKY_OPTIONS: RandomSelectorOptions = {
  labels: ['a', 'b', 'app', 'in', 'not', 'contains', 'has', 'all', 'x.y/z-1_2', '123', 'starts'],
  values: [
    '',
    'a',
    'b',
    'ab',
    'x y',
    '\ttab',
    'say "hi"',
    "it's",
    'é',
    '😀',
    '\uE000',
    'z',
    '&&',
    ')',
  ],
  maxDepth: 3,
}

type Eval = (labels: ReadonlyMap<string, string>) => boolean
interface Gen {
  readonly src: string
  readonly canon: string
  readonly ev: Eval
}

const byteOrder = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))

/** Generates one random selector (never the empty string). */
export function randomSelector(prng: Prng, opts: RandomSelectorOptions): RandomSelector {
  const maxDepth = opts.maxDepth ?? 3
  const ws = (): string => prng.pick(['', '', ' ', '\t', '  ', ' \t'])
  const ws1 = (): string => prng.pick([' ', '\t', '  ', ' \t '])
  const quote = (v: string): string => {
    if (v.includes('"')) return `'${v}'`
    if (v.includes("'")) return `"${v}"`
    return prng.chance(0.5) ? `"${v}"` : `'${v}'`
  }
  const canonQuote = (v: string): string => (v.includes('"') ? `'${v}'` : `"${v}"`)

  const leaf = (): Gen => {
    const l = prng.pick(opts.labels)
    const v = prng.pick(opts.values)
    switch (prng.int(10)) {
      case 0:
        return {
          src: `${l}${ws()}==${ws()}${quote(v)}`,
          canon: `${l} == ${canonQuote(v)}`,
          ev: (m) => m.get(l) === v,
        }
      case 1:
        return {
          src: `${l}${ws()}!=${ws()}${quote(v)}`,
          canon: `${l} != ${canonQuote(v)}`,
          ev: (m) => m.get(l) !== v,
        }
      case 2:
        return {
          src: `${l}${ws1()}contains${ws()}${quote(v)}`,
          canon: `${l} contains ${canonQuote(v)}`,
          ev: (m) => m.get(l)?.includes(v) ?? false,
        }
      case 3: {
        const op = prng.pick(['starts with', 'startswith', 'starts\t with'])
        return {
          src: `${l}${ws1()}${op}${ws()}${quote(v)}`,
          canon: `${l} starts with ${canonQuote(v)}`,
          ev: (m) => m.get(l)?.startsWith(v) ?? false,
        }
      }
      case 4: {
        const op = prng.pick(['ends with', 'endswith', 'ends  with'])
        return {
          src: `${l}${ws1()}${op}${ws()}${quote(v)}`,
          canon: `${l} ends with ${canonQuote(v)}`,
          ev: (m) => m.get(l)?.endsWith(v) ?? false,
        }
      }
      case 5:
      case 6: {
        const negate = prng.chance(0.4)
        const raw = Array.from({ length: prng.int(4) }, () => prng.pick(opts.values))
        const set = [...new Set(raw)].sort(byteOrder)
        const trailing = raw.length > 0 && prng.chance(0.3) ? ',' : ''
        const body = raw.map(quote).join(`${ws()},${ws()}`)
        const op = negate ? prng.pick(['not in', 'notin', 'not \tin']) : 'in'
        const members = new Set(set)
        return {
          src: `${l}${ws1()}${op}${ws()}{${ws()}${body}${trailing}${ws()}}`,
          canon: `${l} ${negate ? 'not in' : 'in'} {${set.map(canonQuote).join(', ')}}`,
          ev: negate
            ? (m) => {
                const x = m.get(l)
                return x === undefined || !members.has(x)
              }
            : (m) => {
                const x = m.get(l)
                return x !== undefined && members.has(x)
              },
        }
      }
      case 7:
      case 8:
        return { src: `has(${ws()}${l}${ws()})`, canon: `has(${l})`, ev: (m) => m.has(l) }
      default:
        return prng.chance(0.5)
          ? { src: `all(${ws()})`, canon: 'all()', ev: () => true }
          : { src: `global(${ws()})`, canon: 'global()', ev: () => true }
    }
  }

  const operation = (depth: number): Gen => {
    const nots = prng.pick([0, 0, 0, 1, 1, 2, 3])
    const inner: Gen = depth < maxDepth && prng.chance(0.3) ? paren(depth + 1) : leaf()
    let src = inner.src
    for (let i = 0; i < nots; i++) src = `!${ws()}${src}`
    if (nots % 2 === 0) return { src, canon: inner.canon, ev: inner.ev }
    return { src, canon: `!${inner.canon}`, ev: (m) => !inner.ev(m) }
  }

  const paren = (depth: number): Gen => {
    const inner = or(depth)
    return { src: `(${ws()}${inner.src}${ws()})`, canon: inner.canon, ev: inner.ev }
  }

  const nary = (parts: Gen[], op: '&&' | '||'): Gen => {
    if (parts.length === 1) return parts[0]!
    const evs = parts.map((p) => p.ev)
    return {
      src: parts.map((p) => p.src).join(`${ws()}${op}${ws()}`),
      canon: `(${parts.map((p) => p.canon).join(` ${op} `)})`,
      ev: op === '&&' ? (m) => evs.every((e) => e(m)) : (m) => evs.some((e) => e(m)),
    }
  }

  const and = (depth: number): Gen =>
    nary(
      Array.from({ length: 1 + prng.int(3) }, () => operation(depth)),
      '&&'
    )
  const or = (depth: number): Gen =>
    nary(
      Array.from({ length: 1 + prng.int(3) }, () => and(depth)),
      '||'
    )

  const top = or(0)
  return { text: `${ws()}${top.src}${ws()}`, canonical: top.canon, evaluate: top.ev }
}

/** Random labels drawn from the pools: each label present with probability `density`. */
export function randomLabels(
  prng: Prng,
  labels: readonly string[],
  values: readonly string[],
  density = 0.5
): Map<string, string> {
  const out = new Map<string, string>()
  for (const l of labels) if (prng.chance(density)) out.set(l, prng.pick(values))
  return out
}

/**
 * Randomised (seeded, deterministic) comparison of LabelIndex against brute force: after every step
 * of a random sequence of selector, item and parent adds/updates/deletes, the match set built from
 * the index's events must equal the set obtained by evaluating every selector on every item's
 * effective labels (computed here independently: own labels, then the first listed parent).
 */
import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { LabelIndex } from './label-index.js'
import { parseSelector, type Selector } from './selector.js'
import { createPrng, type Prng } from './testing/prng.js'
import { randomLabels, randomSelector } from './testing/random-selectors.js'

const LABELS = ['a', 'b', 'c', 'd', 'e'] as const
const VALUES = ['1', '2', '3', ''] as const
const SELECTOR_OPTS = { labels: LABELS, values: VALUES, maxDepth: 2 }

interface Model {
  selectors: Map<string, Selector>
  items: Map<string, { own: Map<string, string>; parents: string[] }>
  parents: Map<string, Map<string, string>>
}

function effective(model: Model, id: string): Map<string, string> {
  const item = model.items.get(id)!
  const out = new Map(item.own)
  for (const p of item.parents) {
    for (const [l, v] of model.parents.get(p) ?? []) if (!out.has(l)) out.set(l, v)
  }
  return out
}

function bruteForce(model: Model): Set<string> {
  const out = new Set<string>()
  for (const id of model.items.keys()) {
    const labels = effective(model, id)
    for (const [sid, s] of model.selectors) if (s.evaluate(labels)) out.add(`${sid}|${id}`)
  }
  return out
}

// Mostly indexable shapes, plus fully random ones (often unindexed).
function pickSelector(prng: Prng): Selector {
  const l = prng.pick(LABELS)
  const v = prng.pick(VALUES)
  switch (prng.int(6)) {
    case 0:
      return parseSelector(`${l} == "${v}"`)
    case 1:
      return parseSelector(
        `${l} in {"${v}", "${prng.pick(VALUES)}"} && ${prng.pick(LABELS)} != "${v}"`
      )
    case 2:
      return parseSelector(`has(${l}) && ${prng.pick(LABELS)} != "${v}"`)
    case 3:
      return parseSelector(prng.pick(['all()', `!has(${l})`, `${l} not in {"${v}"}`]))
    default:
      return parseSelector(randomSelector(prng, SELECTOR_OPTS).text)
  }
}

function runScenario(seed: number, steps: number): void {
  const prng = createPrng(seed)
  const model: Model = { selectors: new Map(), items: new Map(), parents: new Map() }
  const pairs = new Set<string>()
  const index = new LabelIndex({
    onMatchStarted: (s, i) => {
      const k = `${s}|${i}`
      assert.ok(!pairs.has(k), `seed ${seed}: duplicate start ${k}`)
      pairs.add(k)
    },
    onMatchStopped: (s, i) => {
      const k = `${s}|${i}`
      assert.ok(pairs.has(k), `seed ${seed}: stop without start ${k}`)
      pairs.delete(k)
    },
  })
  const selIds = Array.from({ length: 30 }, (_, i) => `s${i}`)
  const itemIds = Array.from({ length: 40 }, (_, i) => `i${i}`)
  const parentIds = Array.from({ length: 6 }, (_, i) => `p${i}`)

  // Items given equal labels through this share one frozen object, so the index shares its map.
  const frozenByText = new Map<string, Readonly<Record<string, string>>>()
  const frozen = (own: ReadonlyMap<string, string>): Readonly<Record<string, string>> => {
    const text = JSON.stringify([...own].sort())
    let f = frozenByText.get(text)
    if (f === undefined) frozenByText.set(text, (f = Object.freeze(Object.fromEntries(own))))
    return f
  }
  for (let step = 0; step < steps; step++) {
    const op = prng.int(100)
    let what: string
    if (op < 20 && step % 5 === 0) {
      // A batch (new and existing ids, sometimes twice) through the bulk entry point.
      const batch = Array.from({ length: 1 + prng.int(6) }, () => {
        const entry: [string, Selector] = [prng.pick(selIds), pickSelector(prng)]
        return entry
      })
      for (const [id, s] of batch) model.selectors.set(id, s)
      index.updateSelectors(batch)
      what = `updateSelectors ${batch.map(([id, s]) => `${id} ${s.toString()}`).join('; ')}`
    } else if (op < 20) {
      const id = prng.pick(selIds)
      const s = pickSelector(prng)
      model.selectors.set(id, s)
      index.updateSelector(id, s)
      what = `updateSelector ${id} ${s.toString()}`
    } else if (op < 27) {
      const id = prng.pick(selIds)
      model.selectors.delete(id)
      index.deleteSelector(id)
      what = `deleteSelector ${id}`
    } else if (op < 70) {
      const id = prng.pick(itemIds)
      const existing = model.items.get(id)
      // Often a one-label change of an existing item, otherwise fresh labels and parents.
      let own: Map<string, string>
      let parents: string[]
      let oneLabel: string | undefined // set when only this own label may have changed
      if (existing !== undefined && prng.chance(0.6)) {
        own = new Map(existing.own)
        const l = prng.pick(LABELS)
        if (prng.chance(0.3)) own.delete(l)
        else own.set(l, prng.pick(VALUES))
        parents = prng.chance(0.9) ? existing.parents : [prng.pick(parentIds)]
        if (parents === existing.parents) oneLabel = l
      } else {
        own = randomLabels(prng, LABELS, VALUES, 0.4)
        parents = Array.from({ length: prng.int(4) }, () => prng.pick(parentIds))
      }
      model.items.set(id, { own, parents })
      // Every third one-label change goes through updateItemLabel (no extra PRNG draws, so the
      // scenarios stay those of the seeds).
      if (prng.chance(0.5)) {
        if (oneLabel !== undefined && step % 3 === 0)
          assert.ok(index.updateItemLabel(id, oneLabel, own.get(oneLabel)))
        else index.updateItem(id, own, parents)
      } else if (step % 2 === 0) index.updateItem(id, Object.fromEntries(own), parents)
      else index.updateItem(id, frozen(own), Object.freeze([...parents]))
      what = `updateItem ${id}`
    } else if (op < 78) {
      const id = prng.pick(itemIds)
      model.items.delete(id)
      index.deleteItem(id)
      what = `deleteItem ${id}`
    } else if (op < 95) {
      const id = prng.pick(parentIds)
      const labels = randomLabels(prng, LABELS, VALUES, 0.3)
      model.parents.set(id, labels)
      index.updateParent(id, labels)
      what = `updateParent ${id}`
    } else {
      const id = prng.pick(parentIds)
      model.parents.delete(id)
      index.deleteParent(id)
      what = `deleteParent ${id}`
    }
    // Drop the item sets of unfiled labels now and then (as after a bulk load).
    if (step % 7 === 0) index.compact()
    const want = bruteForce(model)
    if (want.size !== pairs.size || [...want].some((k) => !pairs.has(k))) {
      const missing = [...want].filter((k) => !pairs.has(k))
      const extra = [...pairs].filter((k) => !want.has(k))
      assert.fail(
        `seed ${seed} step ${step} (${what}): missing ${missing.join(' ')} extra ${extra.join(' ')}`
      )
    }
    if (step % 50 === 0) {
      for (const sid of model.selectors.keys()) {
        const got = index.matchingItems(sid).sort()
        const exp = [...want].filter((k) => k.startsWith(`${sid}|`)).map((k) => k.split('|')[1]!)
        assert.deepEqual(got, exp.sort(), `matchingItems(${sid}) at step ${step}`)
      }
      for (const iid of model.items.keys()) {
        const got = index.matchingSelectors(iid).sort()
        const exp = [...want].filter((k) => k.endsWith(`|${iid}`)).map((k) => k.split('|')[0]!)
        assert.deepEqual(got, exp.sort(), `matchingSelectors(${iid}) at step ${step}`)
      }
    }
  }
}

void describe('LabelIndex against brute force (seeded random)', () => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    void it(`seed ${seed}: 1,500 random changes keep exactly the brute-force match set`, () => {
      runScenario(seed, 1500)
    })
  }
})

import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { LabelIndexReentrancyError } from './errors.js'
import { HOLDERS_LIMIT } from './item-buckets.js'
import { LabelIndex } from './label-index.js'
import { parseSelector, type Selector } from './selector.js'
import { createPrng } from './testing/prng.js'
import { randomLabels, randomSelector } from './testing/random-selectors.js'

/** Records events and keeps the resulting match set; fails on a duplicate or impossible event. */
class Recorder {
  readonly events: string[] = []
  readonly pairs = new Set<string>()
  readonly index = new LabelIndex({
    onMatchStarted: (s, i) => {
      const k = `${s}|${i}`
      assert.ok(!this.pairs.has(k), `duplicate start ${k}`)
      this.pairs.add(k)
      this.events.push(`+${k}`)
    },
    onMatchStopped: (s, i) => {
      const k = `${s}|${i}`
      assert.ok(this.pairs.has(k), `stop without start ${k}`)
      this.pairs.delete(k)
      this.events.push(`-${k}`)
    },
  })
  take(): string[] {
    return this.events.splice(0).sort()
  }
}

const sel = parseSelector

void describe('LabelIndex', () => {
  void it('a selector added after items reports only the items it matches', () => {
    const r = new Recorder()
    r.index.updateItem('p1', { app: 'web' })
    r.index.updateItem('p2', { app: 'db' })
    r.index.updateItem('p3', new Map([['app', 'web']]))
    r.index.updateSelector('s', sel('app == "web"'))
    assert.deepEqual(r.take(), ['+s|p1', '+s|p3'])
  })

  void it('items given one frozen label object share its map; changing one leaves the others', () => {
    const r = new Recorder()
    r.index.updateSelector('web', sel('app == "web"'))
    r.index.updateSelector('canary', sel('track == "canary"'))
    const labels = Object.freeze({ app: 'web', track: 'stable' })
    for (const id of ['p1', 'p2', 'p3']) r.index.updateItem(id, labels)
    assert.deepEqual(r.take(), ['+web|p1', '+web|p2', '+web|p3'])
    assert.equal(r.index.itemLabels('p1'), r.index.itemLabels('p2'), 'one shared map')
    assert.ok(r.index.updateItemLabel('p1', 'track', 'canary'))
    r.index.updateItem('p2', { app: 'db', track: 'stable' })
    assert.deepEqual(r.take(), ['+canary|p1', '-web|p2'])
    assert.deepEqual([...r.index.itemLabels('p3')!].sort(), [
      ['app', 'web'],
      ['track', 'stable'],
    ])
    assert.deepEqual(r.index.matchingItems('web').sort(), ['p1', 'p3'])
    assert.deepEqual(r.index.matchingItems('canary'), ['p1'])
    // A label object that is not frozen is copied: the caller may change it afterwards.
    const mutable = { app: 'web' }
    r.index.updateItem('p4', mutable)
    mutable.app = 'db'
    assert.equal(r.index.itemLabels('p4')!.get('app'), 'web')
    // A frozen parent list is shared as well; inheritance works the same.
    r.index.updateSelector('team', sel('team == "a"'))
    const parents = Object.freeze(['ns'])
    r.index.updateItem('p5', labels, parents)
    r.index.updateItem('p6', labels, parents)
    r.take()
    r.index.updateParent('ns', { team: 'a' })
    assert.deepEqual(r.take(), ['+team|p5', '+team|p6'])
    assert.equal(r.index.itemLabels('p1')!.get('team'), undefined)
  })

  void it('compact drops the item sets of labels no selector is filed under any more; a selector filed there later still matches', () => {
    const r = new Recorder()
    r.index.updateSelector('web', sel('app == "web"'))
    r.index.updateSelector('h', sel('hash == "a1"'))
    r.index.updateItem('p1', { app: 'web', hash: 'a1' })
    r.index.updateItem('p2', { app: 'db', hash: 'a1' })
    r.index.deleteSelector('h')
    r.take()
    assert.equal(r.index.compact(), 1, 'hash: no selector filed under it now')
    assert.equal(r.index.compact(), 0)
    r.index.updateSelector('h', sel('hash == "a1"'))
    assert.deepEqual(r.take(), ['+h|p1', '+h|p2'])
    r.index.updateItem('p2', { app: 'web', hash: 'b2' })
    assert.deepEqual(r.take(), ['+web|p2', '-h|p2'])
  })

  void it('a label held by more items than HOLDERS_LIMIT is materialised by a scan, by value and by presence', () => {
    const r = new Recorder()
    const n = HOLDERS_LIMIT + 50
    for (let i = 0; i < n; i++)
      r.index.updateItem(`p${i}`, { env: i % 2 === 0 ? 'a' : 'b', rare: 'x' })
    r.index.updateItem('q', { other: 'y' })
    r.index.updateSelector('env-a', sel('env == "a"'))
    r.index.updateSelector('has-env', sel('has(env)'))
    r.index.updateSelector('rare', sel('rare == "x"'))
    const got = r.take()
    assert.equal(got.filter((e) => e.startsWith('+env-a|')).length, Math.ceil(n / 2))
    assert.equal(got.filter((e) => e.startsWith('+has-env|')).length, n)
    assert.equal(got.filter((e) => e.startsWith('+rare|')).length, n)
    r.index.deleteItem('p0')
    r.index.updateItem('p1', { env: 'a', rare: 'x' })
    assert.deepEqual(r.take().sort(), ['+env-a|p1', '-env-a|p0', '-has-env|p0', '-rare|p0'])
  })

  void it('an item added after selectors reports the selectors it matches', () => {
    const r = new Recorder()
    r.index.updateSelector('web', sel('app == "web"'))
    r.index.updateSelector('has-tier', sel('has(tier)'))
    r.index.updateSelector('not-prod', sel('env != "prod"'))
    r.index.updateSelector('none', sel('app == "x" && app == "y"'))
    r.index.updateItem('p1', { app: 'web', tier: 'fe' })
    assert.deepEqual(r.take(), ['+has-tier|p1', '+not-prod|p1', '+web|p1'])
  })

  void it('label changes start and stop matches, and unchanged labels report nothing', () => {
    const r = new Recorder()
    r.index.updateSelector('web', sel('app == "web"'))
    r.index.updateSelector('ne', sel('app != "web"'))
    r.index.updateItem('p1', { app: 'web' })
    r.take()
    r.index.updateItem('p1', { app: 'db' })
    assert.deepEqual(r.take(), ['+ne|p1', '-web|p1'])
    r.index.updateItem('p1', { app: 'db' })
    r.index.updateItem('p1', new Map([['app', 'db']]))
    assert.deepEqual(r.take(), [])
    r.index.updateItem('p1', { app: 'db', other: 'x' })
    assert.deepEqual(r.take(), [])
    r.index.updateItem('p1', {})
    assert.deepEqual(r.take(), [])
    r.index.updateItem('p1', { app: 'web' })
    assert.deepEqual(r.take(), ['+web|p1', '-ne|p1'].sort())
  })

  void it('replacing a selector reports the difference; an equal selector is a no-op', () => {
    const r = new Recorder()
    r.index.updateItem('a', { app: 'web', tier: 'fe' })
    r.index.updateItem('b', { app: 'web', tier: 'be' })
    r.index.updateItem('c', { app: 'db' })
    r.index.updateSelector('s', sel('app == "web"'))
    assert.deepEqual(r.take(), ['+s|a', '+s|b'])
    r.index.updateSelector('s', sel("app=='web'"))
    assert.deepEqual(r.take(), [])
    r.index.updateSelector('s', sel('tier == "fe" || app == "db"'))
    assert.deepEqual(r.take(), ['+s|c', '-s|b'].sort())
    r.index.updateSelector('s', sel('all()'))
    assert.deepEqual(r.take(), ['+s|b'])
    r.index.deleteSelector('s')
    assert.deepEqual(r.take(), ['-s|a', '-s|b', '-s|c'])
    r.index.deleteSelector('s')
    r.index.deleteSelector('unknown')
    assert.deepEqual(r.take(), [])
  })

  void it('deleting an item stops all its matches, including all() and unindexed ones', () => {
    const r = new Recorder()
    r.index.updateSelector('all', sel('all()'))
    r.index.updateSelector('nohas', sel('!has(x)'))
    r.index.updateSelector('web', sel('app in {"web", "api"}'))
    r.index.updateItem('p', { app: 'api' })
    assert.equal(r.take().length, 3)
    r.index.deleteItem('p')
    assert.deepEqual(r.take(), ['-all|p', '-nohas|p', '-web|p'])
    r.index.deleteItem('p')
    assert.deepEqual(r.take(), [])
  })

  void it('all() matches every item and is not re-evaluated into events on label changes', () => {
    const r = new Recorder()
    r.index.updateSelector('all', sel('all()'))
    r.index.updateSelector('glob', sel('global()'))
    for (let i = 0; i < 5; i++) r.index.updateItem(`p${i}`, { n: String(i) })
    assert.equal(r.take().length, 10)
    r.index.updateItem('p1', { n: 'changed', extra: 'x' })
    assert.deepEqual(r.take(), [])
    assert.equal(r.index.matchingItems('all').length, 5)
  })

  void it('a contradictory selector never matches', () => {
    const r = new Recorder()
    r.index.updateSelector('never', sel('has(a) && !has(a)'))
    r.index.updateItem('p', { a: 'x' })
    r.index.updateItem('q', {})
    assert.deepEqual(r.take(), [])
    assert.equal(r.index.stats().neverMatchingSelectors, 1)
  })

  void it('items inherit parent labels: own labels win, then the first listed parent', () => {
    const r = new Recorder()
    r.index.updateParent('ns', { 'pcns.team': 'red', shared: 'from-ns' })
    r.index.updateParent('sa', { 'pcsa.name': 'default', shared: 'from-sa' })
    r.index.updateItem('p1', { app: 'web' }, ['ns', 'sa'])
    r.index.updateItem('p2', { app: 'web', shared: 'own' }, ['sa', 'ns'])
    assert.deepEqual(Object.fromEntries(r.index.itemLabels('p1')!), {
      'pcns.team': 'red',
      'pcsa.name': 'default',
      shared: 'from-ns',
      app: 'web',
    })
    assert.equal(r.index.itemLabels('p2')!.get('shared'), 'own')
    r.index.updateSelector('red', sel('pcns.team == "red" && app == "web"'))
    r.index.updateSelector('ns-wins', sel('shared == "from-ns"'))
    r.index.updateSelector('sa-wins', sel('shared == "from-sa"'))
    assert.deepEqual(r.take(), ['+ns-wins|p1', '+red|p1', '+red|p2'])
    // Listing the parents the other way round flips which one wins.
    r.index.updateItem('p1', { app: 'web' }, ['sa', 'ns'])
    assert.deepEqual(r.take(), ['+sa-wins|p1', '-ns-wins|p1'].sort())
    // The item's own label hides the parent's.
    r.index.updateItem('p2', { app: 'web' }, ['sa', 'ns'])
    assert.deepEqual(r.take(), ['+sa-wins|p2'])
  })

  void it('a parent change re-evaluates the items of that parent only', () => {
    const r = new Recorder()
    r.index.updateParent('ns-a', { 'pcns.env': 'prod' })
    r.index.updateParent('ns-b', { 'pcns.env': 'prod' })
    r.index.updateItem('a1', {}, ['ns-a'])
    r.index.updateItem('a2', {}, ['ns-a'])
    r.index.updateItem('b1', {}, ['ns-b'])
    r.index.updateSelector('prod', sel('pcns.env == "prod"'))
    r.index.updateSelector('dev', sel('pcns.env == "dev"'))
    assert.deepEqual(r.take(), ['+prod|a1', '+prod|a2', '+prod|b1'])
    r.index.updateParent('ns-a', { 'pcns.env': 'dev' })
    assert.deepEqual(r.take(), ['+dev|a1', '+dev|a2', '-prod|a1', '-prod|a2'])
    r.index.updateParent('ns-a', { 'pcns.env': 'dev' })
    assert.deepEqual(r.take(), [])
    r.index.deleteParent('ns-a')
    assert.deepEqual(r.take(), ['-dev|a1', '-dev|a2'])
    r.index.deleteParent('ns-a')
    assert.deepEqual(r.take(), [])
  })

  void it('an item listing an unknown parent picks up its labels when the parent arrives', () => {
    const r = new Recorder()
    r.index.updateSelector('s', sel('pcns.team == "blue"'))
    r.index.updateItem('p', { app: 'x' }, ['later'])
    assert.deepEqual(r.take(), [])
    r.index.updateParent('later', { 'pcns.team': 'blue' })
    assert.deepEqual(r.take(), ['+s|p'])
    r.index.updateItem('p', { app: 'x' })
    assert.deepEqual(r.take(), ['-s|p'])
    r.index.updateParent('later', { 'pcns.team': 'green' })
    assert.deepEqual(r.take(), [])
  })

  void it('keeps its own copy of the labels it is given', () => {
    const r = new Recorder()
    const labels = new Map([['app', 'web']])
    r.index.updateSelector('s', sel('app == "web"'))
    r.index.updateItem('p', labels)
    labels.set('app', 'db')
    assert.deepEqual(r.index.matchingSelectors('p'), ['s'])
  })

  void it('a callback that calls back into the index gets LabelIndexReentrancyError', () => {
    let caught: unknown
    const index: LabelIndex = new LabelIndex({
      onMatchStarted: () => {
        try {
          index.deleteItem('p')
        } catch (err) {
          caught = err
        }
      },
      onMatchStopped: () => {},
    })
    index.updateSelector('s', sel('all()'))
    index.updateItem('p', {})
    assert.ok(caught instanceof LabelIndexReentrancyError)
    assert.equal(caught.code, 'ERR_LABEL_INDEX_REENTRANT')
    // Still usable afterwards.
    index.updateItem('q', {})
    assert.deepEqual(index.matchingItems('s').sort(), ['p', 'q'])
  })

  void it('stats describe how selectors are filed', () => {
    const r = new Recorder()
    r.index.updateSelector('v', sel('a == "1" && has(b)'))
    r.index.updateSelector('l', sel('has(b) && c != "x"'))
    r.index.updateSelector('u', sel('!has(b)'))
    r.index.updateSelector('n', sel('a in {}'))
    r.index.updateItem('i', { a: '1' }, ['p'])
    r.index.updateParent('p', {})
    assert.deepEqual(r.index.stats(), {
      selectors: 4,
      items: 1,
      parents: 1,
      valueIndexedSelectors: 1,
      labelIndexedSelectors: 1,
      unindexedSelectors: 1,
      neverMatchingSelectors: 1,
      labelChanges: 0,
      labelChangeEvaluations: 0,
    })
  })

  void it('a label change visits only the readers comparing the label with its old or new value', () => {
    const r = new Recorder()
    r.index.updateSelector('v3', sel('app == "web" && version != "v3"'))
    r.index.updateSelector('u3', sel('version not in {"v3"}'))
    r.index.updateSelector('v1', sel('app == "web" && version != "v1"'))
    r.index.updateSelector('sub', sel('version starts with "v"'))
    r.index.updateItem('p', { app: 'web', version: 'v1' })
    assert.deepEqual(r.take().sort(), ['+sub|p', '+u3|p', '+v3|p'])
    r.index.updateItem('p', { app: 'web', version: 'v2' })
    assert.deepEqual(r.take(), ['+v1|p'])
    // v1 (compares with the old value) and sub (substring) are evaluated; v3 and u3 are not.
    assert.deepEqual([r.index.stats().labelChanges, r.index.stats().labelChangeEvaluations], [1, 2])
    // Presence changes visit every reader the filing admits.
    r.index.updateItem('p', { app: 'web' })
    assert.deepEqual(r.take().sort(), ['-sub|p'])
    assert.equal(r.index.stats().labelChangeEvaluations, 6)
  })

  void it('a value-indexed selector whose other label changes is re-evaluated', () => {
    const r = new Recorder()
    r.index.updateSelector('s', sel('app == "web" && tier != "db"'))
    r.index.updateItem('p', { app: 'web', tier: 'fe' })
    assert.deepEqual(r.take(), ['+s|p'])
    r.index.updateItem('p', { app: 'web', tier: 'db' })
    assert.deepEqual(r.take(), ['-s|p'])
    r.index.updateItem('p', { app: 'web' })
    assert.deepEqual(r.take(), ['+s|p'])
  })

  void it('a label no selector is filed under is counted only, and filing one brings its items back', () => {
    const r = new Recorder()
    r.index.updateSelector('app', sel('app == "web"'))
    r.index.updateItem('p1', { app: 'web', version: 'v1' })
    r.index.updateItem('p2', { app: 'db', version: 'v1' })
    r.index.updateItem('p3', { app: 'db' })
    assert.deepEqual(r.take(), ['+app|p1'])
    // `version` has no filed selector: these changes turn its item sets into counts.
    r.index.updateItem('p2', { app: 'db', version: 'v2' })
    r.index.updateItem('p3', { app: 'db', version: 'v2' })
    r.index.updateItem('p1', { app: 'web' })
    assert.deepEqual(r.take(), [])
    // Both are filed under `version`: its sets are rebuilt by one scan of the items.
    r.index.updateSelector('v2', sel('version == "v2"'))
    r.index.updateSelector('v2db', sel('version in {"v2", "v3"} && has(app)'))
    assert.deepEqual(r.take(), ['+v2db|p2', '+v2db|p3', '+v2|p2', '+v2|p3'])
    assert.deepEqual(r.index.matchingItems('v2').sort(), ['p2', 'p3'])
    r.index.updateItem('p1', { app: 'web', version: 'v2' })
    r.index.updateItem('p3', { app: 'db', version: 'v3' })
    assert.deepEqual(r.take(), ['+v2db|p1', '+v2|p1', '-v2|p3'])
    // Unfiled again: later changes count only; re-filing scans again.
    r.index.deleteSelector('v2')
    r.index.deleteSelector('v2db')
    r.take()
    r.index.updateItem('p2', { app: 'db' })
    r.index.deleteItem('p3')
    r.index.updateSelector('v2', sel('version == "v2"'))
    assert.deepEqual(r.take(), ['+v2|p1'])
    assert.equal(r.index.stats().valueIndexedSelectors, 2)
  })

  void it('updateItemLabel changes one own label as updateItem would', () => {
    const r = new Recorder()
    r.index.updateParent('ns', { env: 'prod' })
    r.index.updateSelector('web', sel('app == "web"'))
    r.index.updateSelector('prod', sel('env == "prod" && !has(canary)'))
    assert.equal(r.index.updateItemLabel('p', 'app', 'web'), false)
    r.index.updateItem('p', { app: 'db' }, ['ns'])
    assert.deepEqual(r.take(), ['+prod|p'])
    assert.equal(r.index.updateItemLabel('p', 'app', 'web'), true)
    assert.deepEqual(r.take(), ['+web|p'])
    r.index.updateItemLabel('p', 'app', 'web')
    r.index.updateItemLabel('p', 'missing', undefined)
    assert.deepEqual(r.take(), [])
    r.index.updateItemLabel('p', 'canary', 'true')
    assert.deepEqual(r.take(), ['-prod|p'])
    // An own label shadows the inherited one; removing it uncovers the parent's value again.
    r.index.updateItemLabel('p', 'env', 'dev')
    r.index.updateItemLabel('p', 'canary', undefined)
    assert.deepEqual(r.take(), [])
    r.index.updateItemLabel('p', 'env', undefined)
    assert.deepEqual(r.take(), ['+prod|p'])
    assert.deepEqual([...r.index.itemLabels('p')!].sort(), [
      ['app', 'web'],
      ['env', 'prod'],
    ])
    r.index.updateItem('p', { app: 'web' }, ['ns'])
    assert.deepEqual(r.take(), [])
  })

  void it('updateSelectors reports what updateSelector one by one would, unindexed shapes included', () => {
    const prng = createPrng(99)
    const labels = ['a', 'b', 'c', 'd'] as const
    const values = ['1', '2', ''] as const
    const texts = [
      'all()',
      'global()',
      '!has(a)',
      'b != "1"',
      'c not in {"1", "2"}',
      '!(a == "2")',
      'a == "1"',
      'has(b) && c != "2"',
      ...Array.from(
        { length: 40 },
        () => randomSelector(prng, { labels, values, maxDepth: 2 }).text
      ),
    ]
    const one = new Recorder()
    const bulk = new Recorder()
    for (const r of [one, bulk]) r.index.updateParent('p', { d: '1' })
    for (let i = 0; i < 60; i++) {
      const own = randomLabels(prng, labels, values, 0.5)
      for (const r of [one, bulk]) r.index.updateItem(`i${i}`, own, i % 2 === 0 ? ['p'] : [])
    }
    // Replacing an existing id and listing one twice go through the same batch.
    for (const r of [one, bulk]) r.index.updateSelector('s0', sel('a == "2"'))
    texts.forEach((t, i) => one.index.updateSelector(`s${i}`, sel(t)))
    bulk.index.updateSelectors([
      ['s1', sel('b == "2"')],
      ...texts.map((t, i): [string, Selector] => [`s${i}`, sel(t)]),
    ])
    assert.deepEqual(bulk.take(), one.take())
    assert.deepEqual([...bulk.pairs].sort(), [...one.pairs].sort())
    const ids = texts.map((_, i) => `s${i}`)
    for (const id of ids)
      assert.deepEqual(bulk.index.matchingItems(id).sort(), one.index.matchingItems(id).sort())
  })

  void it('updateSelectors from a callback throws LabelIndexReentrancyError', () => {
    let err: unknown
    const index: LabelIndex = new LabelIndex({
      onMatchStarted: () => {
        try {
          index.updateSelectors([['t', sel('all()')]])
        } catch (e) {
          err = e
        }
      },
      onMatchStopped: () => {},
    })
    index.updateItem('i', { a: '1' })
    index.updateSelectors([['s', sel('all()')]])
    assert.ok(err instanceof LabelIndexReentrancyError)
    assert.deepEqual(index.matchingItems('s'), ['i'])
  })
})

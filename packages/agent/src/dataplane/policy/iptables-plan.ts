/**
 * Pure iptables planning for one (family, table): parse `iptables-save -t <table>`, compare with
 * the desired chains by rule hash (felix-dataplane.md §2.7) and render the `iptables-restore
 * --noflush` transaction that changes only what differs.
 *
 * Transaction layout (one per table; the nft backend moves deletions into a second one, as Felix
 * does):
 *
 *   *<table>
 *   :<chain> - -            new, dirty (flush + rewrite) and to-be-deleted chains
 *   -D <BUILTIN> <n>        our stale/misplaced hooks, highest index first
 *   -I <BUILTIN> 1 <rule>   our hooks, in reverse order, so they end up at the top in order
 *   -A <chain> <rule>       every rule of new and dirty chains, each with its hash comment
 *   -X <chain>              chains we own that are no longer desired
 *   COMMIT
 *
 * Ownership: every chain named `cali-*` is ours; in built-in chains, only rules carrying a
 * `cali:` hash comment are ours. Nothing else is ever written.
 */
import type { ChainHook, ChainSpec, IptablesTable } from '../../calc/policy/contract.js'
import { hashedRule, ruleHashes } from './iptables-hash.js'

/** Prefix of every chain we own. */
export const OUR_CHAIN_PREFIX = 'cali-'

/** iptables' chain-name limit (`MaxChainNameLength`). */
export const MAX_CHAIN_NAME_LENGTH = 28

/** The built-in chains hooks may go into. */
export const BUILTIN_CHAINS: ReadonlySet<string> = new Set([
  'PREROUTING',
  'INPUT',
  'FORWARD',
  'OUTPUT',
  'POSTROUTING',
])

/** What `iptables-save` shows of one table, reduced to what we compare. */
export interface TableState {
  /** Our chains (`cali-*`) → the hash of each rule in order (`''` for a rule without one). */
  readonly chains: Map<string, readonly string[]>
  /** Built-in chains → the hash of each rule in order (`''` for rules that are not ours). */
  readonly builtins: Map<string, readonly string[]>
}

const HASH_RE = /-m comment --comment "?cali:([a-zA-Z0-9_-]+)"?/
const CHAIN_RE = /^:(\S+)/
const APPEND_RE = /^-A (\S+)/

/** Parses `iptables-save -t <table>` output (chain names, `-A` lines and hash comments only). */
export function parseIptablesSave(text: string): TableState {
  const chains = new Map<string, string[]>()
  const builtins = new Map<string, string[]>()
  const listFor = (chain: string): string[] | undefined => {
    if (chain.startsWith(OUR_CHAIN_PREFIX)) {
      let l = chains.get(chain)
      if (l === undefined) chains.set(chain, (l = []))
      return l
    }
    if (BUILTIN_CHAINS.has(chain)) {
      let l = builtins.get(chain)
      if (l === undefined) builtins.set(chain, (l = []))
      return l
    }
    return undefined
  }
  for (const line of text.split('\n')) {
    const c = CHAIN_RE.exec(line)
    if (c !== null) {
      listFor(c[1] as string)
      continue
    }
    const a = APPEND_RE.exec(line)
    if (a === null) continue
    const list = listFor(a[1] as string)
    if (list === undefined) continue
    list.push(HASH_RE.exec(line)?.[1] ?? '')
  }
  return { chains, builtins }
}

/** An empty table (nothing read yet, or nothing there). */
export const emptyTableState = (): TableState => ({ chains: new Map(), builtins: new Map() })

/** Why a desired chain cannot be written; undefined when it is fine. */
export function chainProblem(chain: ChainSpec): string | undefined {
  if (!chain.name.startsWith(OUR_CHAIN_PREFIX)) return 'chain name does not start with cali-'
  if (chain.name.length > MAX_CHAIN_NAME_LENGTH) return 'chain name longer than 28 characters'
  if (!/^[A-Za-z0-9_.:/@+-]+$/.test(chain.name)) return 'chain name has illegal characters'
  for (const r of chain.rules) {
    if (/[\r\n\0]/.test(r)) return 'rule contains a line break'
    if (r.trim() === '') return 'empty rule'
  }
  return undefined
}

/** Desired content of one table. */
export interface TableDesired {
  readonly chains: ReadonlyMap<string, ChainSpec>
  /** Hooks of this table, in order (targets that are not desired chains are ignored). */
  readonly hooks: readonly ChainHook[]
}

/** The changes for one table. */
export interface TablePlan {
  /** Restore transaction, undefined when nothing differs. */
  readonly script: string | undefined
  /** Second transaction (nft backend: deletions), undefined when none. */
  readonly deleteScript: string | undefined
  /** Chains rewritten (new or changed). */
  readonly written: readonly string[]
  /** Chains deleted. */
  readonly deleted: readonly string[]
  /** Built-in chains whose hooks were rewritten. */
  readonly hooksRewritten: readonly string[]
  /** Desired chains skipped because they cannot be written (kept as they are). */
  readonly skipped: readonly { readonly chain: string; readonly reason: string }[]
  /** What the table holds once the plan is applied. */
  readonly after: TableState
}

const sameList = (a: readonly string[] | undefined, b: readonly string[]): boolean =>
  a !== undefined && a.length === b.length && a.every((x, i) => x === b[i])

/** Plans one table: desired vs actual, by hash. `nft` splits deletions into a second transaction. */
export function planTable(
  table: IptablesTable,
  desired: TableDesired,
  actual: TableState,
  nft: boolean
): TablePlan {
  const flush: string[] = []
  const appends: string[] = []
  const written: string[] = []
  const deleted: string[] = []
  const skipped: { chain: string; reason: string }[] = []
  const afterChains = new Map(actual.chains)
  const afterBuiltins = new Map(actual.builtins)
  const valid = new Set<string>()
  for (const chain of desired.chains.values()) {
    const problem = chainProblem(chain)
    if (problem !== undefined) {
      skipped.push({ chain: chain.name, reason: problem })
      continue
    }
    valid.add(chain.name)
    const hashes = ruleHashes(chain.name, chain.rules)
    if (sameList(actual.chains.get(chain.name), hashes)) continue
    flush.push(`:${chain.name} - -`)
    chain.rules.forEach((r, i) =>
      appends.push(`-A ${chain.name} ${hashedRule(hashes[i] as string, r)}`)
    )
    written.push(chain.name)
    afterChains.set(chain.name, hashes)
  }
  // Chains we own but no longer want (an invalid desired chain keeps what it has: never fail open).
  const keep = new Set([...valid, ...skipped.map((s) => s.chain)])
  for (const name of actual.chains.keys()) {
    if (keep.has(name)) continue
    flush.push(`:${name} - -`)
    deleted.push(name)
    afterChains.delete(name)
  }
  // Hooks: each built-in chain must start with exactly our hooks, and hold no other rule of ours.
  const hookLines: string[] = []
  const hooksRewritten: string[] = []
  const byBuiltin = new Map<string, string[]>()
  for (const h of desired.hooks) {
    // A hook into a skipped chain stays only while that chain exists (its old rules are kept).
    if (!valid.has(h.target) && !(keep.has(h.target) && actual.chains.has(h.target))) continue
    const l = byBuiltin.get(h.builtin) ?? []
    l.push(h.target)
    byBuiltin.set(h.builtin, l)
  }
  const builtinNames = new Set([...byBuiltin.keys(), ...actual.builtins.keys()])
  for (const b of [...builtinNames].sort()) {
    const bodies = (byBuiltin.get(b) ?? []).map((t) => `--jump ${t}`)
    const expected = ruleHashes(b, bodies)
    const have = actual.builtins.get(b) ?? []
    const ours = have.filter((x) => x !== '').length
    const ok = ours === expected.length && expected.every((x, i) => have[i] === x) // at the top, in order
    if (ok) continue
    hooksRewritten.push(b)
    for (let i = have.length - 1; i >= 0; i--)
      if (have[i] !== '') hookLines.push(`-D ${b} ${i + 1}`)
    for (let i = bodies.length - 1; i >= 0; i--)
      hookLines.push(`-I ${b} 1 ${hashedRule(expected[i] as string, bodies[i] as string)}`)
    afterBuiltins.set(b, [...expected, ...have.filter((x) => x === '')])
  }
  const dels = deleted.map((c) => `-X ${c}`)
  const main = [...flush, ...hookLines, ...appends, ...(nft ? [] : dels)]
  const wrap = (lines: readonly string[]): string | undefined =>
    lines.length === 0 ? undefined : `*${table}\n${lines.join('\n')}\nCOMMIT\n`
  return {
    script: wrap(main),
    deleteScript: nft ? wrap(dels) : undefined,
    written,
    deleted,
    hooksRewritten,
    skipped,
    after: { chains: afterChains, builtins: afterBuiltins },
  }
}

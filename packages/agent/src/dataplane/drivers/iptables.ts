/**
 * iptables I/O for one backend: `iptables-save -t <table>` and `iptables-restore --noflush` for
 * both families (the `-legacy` or `-nft` binaries), backend detection for `auto`, and the count
 * of restore invocations (a metric, and the proof in tests that membership changes never reach
 * iptables).
 */
import type { IpFamily, IptablesTable } from '../../calc/policy/contract.js'
import {
  countKubeLines,
  countRules,
  decideBackend,
  type IptablesBackend,
  type IptablesBackendMode,
} from '../policy/backend.js'
import { parseIptablesSave, type TableState } from '../policy/iptables-plan.js'
import type { ToolRunner } from './exec.js'

/** Lock settings of `iptables-restore`. */
export interface IptablesLockConfig {
  readonly lockWaitSeconds: number
  readonly lockProbeMicros: number
}

const bin = (family: IpFamily, backend: IptablesBackend): string =>
  `${family === 4 ? 'iptables' : 'ip6tables'}-${backend}`

/** Reads and writes tables through one backend. */
export class Iptables {
  /** `iptables-restore` / `ip6tables-restore` invocations so far. */
  restores = 0

  constructor(
    private readonly runner: ToolRunner,
    readonly backend: IptablesBackend,
    private readonly lock: IptablesLockConfig
  ) {}

  /** Reads one table (our chains, built-in chains' hashes). */
  async read(family: IpFamily, table: IptablesTable, signal?: AbortSignal): Promise<TableState> {
    const out = await this.runner.run(`${bin(family, this.backend)}-save`, ['-t', table], {
      ...(signal && { signal }),
    })
    return parseIptablesSave(out)
  }

  /** Runs one restore transaction (`--noflush`: only the chains named in it change). */
  async restore(family: IpFamily, script: string, signal?: AbortSignal): Promise<void> {
    this.restores++
    await this.runner.run(
      `${bin(family, this.backend)}-restore`,
      [
        '--noflush',
        '--wait',
        String(this.lock.lockWaitSeconds),
        '--wait-interval',
        String(this.lock.lockProbeMicros),
      ],
      { stdin: script, ...(signal && { signal }) }
    )
  }
}

/** Picks the backend (see policy/backend.ts); a missing binary counts as an empty backend. */
export async function detectIptablesBackend(
  runner: ToolRunner,
  mode: IptablesBackendMode,
  signal?: AbortSignal
): Promise<IptablesBackend> {
  if (mode !== 'auto') return mode
  const save = async (tool: string, args: readonly string[]): Promise<string> => {
    try {
      return await runner.run(tool, args, { ...(signal && { signal }) })
    } catch {
      return ''
    }
  }
  const evidence = { legacyKubeLines: 0, nftKubeLines: 0, legacyRules: 0, nftRules: 0 }
  for (const family of [4, 6] as const) {
    for (const backend of ['nft', 'legacy'] as const) {
      const mangle = await save(`${bin(family, backend)}-save`, ['-t', 'mangle'])
      const all = await save(`${bin(family, backend)}-save`, [])
      evidence[`${backend}KubeLines`] += countKubeLines(mangle)
      evidence[`${backend}Rules`] += countRules(all)
    }
  }
  return decideBackend(evidence)
}

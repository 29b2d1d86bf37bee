/**
 * Workload routes: `<ip>/32 dev <iface> scope link proto <P>` (`/128` for IPv6) for each local
 * workload, as Felix keeps them (its `DeviceRouteProtocol`, boot by default).
 *
 * Ownership: a main-table route is ours when its protocol is P AND its device starts with the
 * workload prefix (`cali`). Ours that are no longer desired are removed; every other route is never
 * touched, and a desired destination already held by a route that is not ours is skipped and
 * reported. The VXLAN dataplane owns protocol 80 routes, so the two never meet.
 */
import type { Logger } from '@cattail/common'
import type { IpFamily, WorkloadRoute } from '../../calc/policy/contract.js'
import type { ToolRunner } from './exec.js'

/** Owned routes by canonical dst → device. */
export type OwnedRoutes = Map<string, string>

interface IpRoute {
  readonly dst: string
  readonly dev?: string
  readonly protocol?: string | number
}

/** `198.18.0.5` → `198.18.0.5/32`; `default` stays. */
export function canonicalDst(dst: string, family: IpFamily): string {
  if (dst === 'default' || dst.includes('/')) return dst.toLowerCase()
  return `${dst.toLowerCase()}/${family === 4 ? 32 : 128}`
}

const DEV_RE = /^[A-Za-z0-9_.-]{1,15}$/
const DST4_RE = /^\d{1,3}(\.\d{1,3}){3}\/32$/
const DST6_RE = /^[0-9a-f:]+\/128$/

/** Why a desired route cannot be programmed; undefined when fine. */
export function routeProblem(r: WorkloadRoute, prefix: string): string | undefined {
  if (!DEV_RE.test(r.dev) || !r.dev.startsWith(prefix)) return `bad workload device ${r.dev}`
  const dst = r.dst.toLowerCase()
  if (!(r.family === 4 ? DST4_RE : DST6_RE).test(dst)) return `bad workload route ${r.dst}`
  return undefined
}

/** The routes of one family as we see them. */
export interface RouteView {
  readonly owned: OwnedRoutes
  /** Destinations held by routes that are not ours. */
  readonly foreign: Set<string>
}

/** Reads workload routes of one family. */
export async function readWorkloadRoutes(
  runner: ToolRunner,
  family: IpFamily,
  protocol: number,
  prefix: string,
  signal?: AbortSignal
): Promise<RouteView> {
  const dump = async (extra: readonly string[]): Promise<IpRoute[]> => {
    const out = await runner.run(
      'ip',
      ['-j', `-${family}`, 'route', 'show', 'table', 'main', ...extra],
      { ...(signal && { signal }) }
    )
    return out.trim() === '' ? [] : (JSON.parse(out) as IpRoute[])
  }
  const owned: OwnedRoutes = new Map()
  const foreign = new Set<string>()
  for (const r of await dump(['proto', String(protocol)]))
    if (r.dev?.startsWith(prefix)) owned.set(canonicalDst(r.dst, family), r.dev)
  for (const r of await dump([])) {
    const dst = canonicalDst(r.dst, family)
    if (owned.get(dst) !== r.dev) foreign.add(dst)
  }
  return { owned, foreign }
}

/** Lines for `ip -batch` that make `view` hold `desired` (desired already validated). */
export function planWorkloadRoutes(
  family: IpFamily,
  desired: readonly WorkloadRoute[],
  view: RouteView,
  protocol: number,
  log: Logger
): { lines: string[]; after: OwnedRoutes } {
  const lines: string[] = []
  const after: OwnedRoutes = new Map(view.owned)
  const want = new Map<string, string>()
  for (const r of desired) want.set(r.dst.toLowerCase(), r.dev)
  for (const [dst, dev] of view.owned)
    if (want.get(dst) !== dev) {
      lines.push(`route del ${dst} dev ${dev} proto ${protocol}`)
      after.delete(dst)
    }
  for (const [dst, dev] of want) {
    if (after.get(dst) === dev) continue
    if (view.foreign.has(dst)) {
      log.warn({ dst, dev }, 'workload route held by a foreign route; skipped')
      continue
    }
    lines.push(`route add ${dst} dev ${dev} scope link proto ${protocol}`)
    after.set(dst, dev)
  }
  return { lines, after }
}

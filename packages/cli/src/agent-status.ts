/**
 * `cattail status --agent <url>`: reads a node agent's JSON `/status` (on its health port,
 * 127.0.0.1:9099 by default, so run it on the node) and prints readiness, liveness, sync and
 * dataplane state and the destinations foreign routes block. Exit code 0 when the agent is ready.
 */
import type { AgentStatusReport } from '@cattail/agent'
import { errorMessage, MeshError } from '@cattail/common'

/** The agent's `/status` could not be read. */
export class AgentStatusError extends MeshError {
  readonly code = 'ERR_AGENT_STATUS'
  constructor(
    readonly url: string,
    detail: string,
    cause?: unknown
  ) {
    super(`cannot read the agent status at ${url}: ${detail}`, cause === undefined ? {} : { cause })
  }
}

/** Fetches `<base>/status` and checks its shape. */
export async function fetchAgentStatus(
  base: string,
  timeoutMs: number
): Promise<AgentStatusReport> {
  const url = `${base.replace(/\/+$/, '')}/status`
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    throw new AgentStatusError(url, errorMessage(err), err)
  }
  if (res.status !== 200) throw new AgentStatusError(url, `HTTP ${res.status}`)
  let body: unknown
  try {
    body = await res.json()
  } catch (err) {
    throw new AgentStatusError(url, 'the answer is not JSON', err)
  }
  const r = body as Partial<AgentStatusReport> | null
  if (
    r === null ||
    typeof r !== 'object' ||
    typeof r.ready !== 'boolean' ||
    typeof r.live !== 'boolean' ||
    !Array.isArray(r.blockedRoutes)
  )
    throw new AgentStatusError(url, 'the answer is not an agent status document')
  return r as AgentStatusReport
}

/** Renders an agent status as `cattail status --agent` prints it. */
export function formatAgentStatus(r: AgentStatusReport): string {
  const yes = (b: boolean): string => (b ? 'yes' : 'no')
  const lines = [
    `agent on node ${r.nodeName}`,
    `  ready:      ${yes(r.ready)} (${r.readiness})`,
    `  live:       ${yes(r.live)} (${r.liveness})`,
    `  sync:       ${r.syncStatus}${r.connected ? '' : ' (disconnected)'}`,
    `  dataplane:  ${r.dataplane}`,
  ]
  if (r.blockedRoutes.length === 0) lines.push('  blocked routes: none')
  else {
    lines.push(
      `  blocked routes (a foreign route holds the destination): ${r.blockedRoutes.length}`
    )
    for (const b of r.blockedRoutes) lines.push(`    ${b.dst.padEnd(20)} wanted ${b.wanted}`)
  }
  return lines.join('\n')
}

/** The `--agent` action: prints the agent's status; resolves the exit code (0 = ready). */
export async function runAgentStatus(base: string, timeoutMs: number): Promise<number> {
  const r = await fetchAgentStatus(base, timeoutMs)
  process.stdout.write(formatAgentStatus(r) + '\n')
  return r.ready ? 0 : 1
}

/**
 * Errors of the agent. Match on `code` across log boundaries; `instanceof` within the process.
 */
import { MeshError } from '@cattail/common'

/** A driver failed to program (part of) the kernel; the dataplane loop resyncs and retries. */
export class DataplaneApplyError extends MeshError {
  readonly code = 'ERR_DATAPLANE_APPLY'
  constructor(
    readonly driver: string,
    readonly target: string,
    cause: unknown,
    detail?: string
  ) {
    super(`${driver}: failed to program ${target}${detail === undefined ? '' : `: ${detail}`}`, {
      cause,
    })
  }
}

/** The kernel is not ready for us yet (e.g. no interface holds the node IP); retried quietly. */
export class DataplaneNotReadyError extends MeshError {
  readonly code = 'ERR_DATAPLANE_NOT_READY'
  constructor(readonly reason: string) {
    super(`dataplane not ready: ${reason}`)
  }
}

/** A netlink request failed; `errno` is the symbolic code parsed from the addon's message. */
export class NetlinkRequestError extends MeshError {
  readonly code = 'ERR_NETLINK'
  constructor(
    readonly op: string,
    readonly errno: string,
    cause: unknown
  ) {
    super(`netlink ${op} failed: ${errno}`, { cause })
  }
}

/** An iproute2 command exited non-zero. */
export class CommandError extends MeshError {
  readonly code = 'ERR_COMMAND'
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string
  ) {
    super(
      `${command} exited with ${exitCode}: ${stderr.trim().split('\n').slice(0, 3).join(' | ')}`
    )
  }
}

/**
 * Our iptables chains keep being rewritten under us: another writer (almost certainly Felix still
 * running in calico-node) is fighting the agent. The daemon exits on it with this message.
 */
export class FelixConflictError extends MeshError {
  readonly code = 'ERR_FELIX_CONFLICT'
  constructor(
    readonly repairs: number,
    readonly windowMs: number,
    readonly chains: readonly string[]
  ) {
    super(
      `our iptables chains were rewritten by someone else ${repairs} times within ${Math.round(windowMs / 1000)} s ` +
        `(${chains.slice(0, 5).join(', ')}): Felix is probably still running; set CALICO_DISABLE_FELIX=true ` +
        'on the calico-node DaemonSet (see the README), then restart the agent'
    )
  }
}

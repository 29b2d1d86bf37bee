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

/** A child process ran past its deadline and was killed with SIGKILL. */
export class CommandTimeoutError extends MeshError {
  readonly code = 'ERR_COMMAND_TIMEOUT'
  constructor(
    readonly command: string,
    readonly timeoutMs: number
  ) {
    super(`${command} did not finish within ${timeoutMs} ms; killed (SIGKILL)`)
  }
}

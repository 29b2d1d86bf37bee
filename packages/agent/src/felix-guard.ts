/**
 * Never fight a running Felix. The agent programs what Felix would (the VXLAN device, routes,
 * FDB/ARP, chains), so if Felix is active on the node both would rewrite each other's state for
 * ever. At start the agent looks for Felix in the host's process table (`calico-felix`, or
 * `calico-node -felix` as calico-node's runit service runs it) and the daemon treats a taken
 * health port (Felix's 9099) the same way; either is a FelixRunningError that tells the operator
 * to set `CALICO_DISABLE_FELIX=true` on calico-node.
 *
 * calico-node keeps running other services with Felix disabled (`-allocate-tunnel-addrs`,
 * `-monitor-addresses`, `-status-reporter`) and its probes run `calico-node -felix-live
 * -felix-ready`: only an argument that is exactly `-felix` counts.
 */
import { readdir, readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { ListenError } from '@cattail/common'
import { FelixRunningError, type FelixEvidence } from './errors.js'

/** True when a process with this `comm` and argv is Felix. */
export function isFelixProcess(comm: string, argv: readonly string[]): boolean {
  const exe = basename(argv[0] ?? '')
  if (comm === 'calico-felix' || exe === 'calico-felix') return true
  return exe === 'calico-node' && argv.slice(1).includes('-felix')
}

/**
 * Scans `procDir` (the host's /proc, mounted into the pod) for a running Felix. Processes that
 * vanish or cannot be read while scanning are skipped; an unreadable `procDir` finds nothing.
 */
export async function findRunningFelix(
  procDir: string
): Promise<Extract<FelixEvidence, { kind: 'process' }> | undefined> {
  let entries: string[]
  try {
    entries = await readdir(procDir)
  } catch {
    return undefined
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue
    try {
      const [comm, cmdline] = await Promise.all([
        readFile(join(procDir, e, 'comm'), 'utf8'),
        readFile(join(procDir, e, 'cmdline'), 'utf8'),
      ])
      const argv = cmdline.split('\0').filter((a) => a !== '')
      if (isFelixProcess(comm.trim(), argv))
        return { kind: 'process', pid: Number(e), command: argv.join(' ') || comm.trim() }
    } catch {
      // Gone or not ours to read.
    }
  }
  return undefined
}

/** Throws FelixRunningError when Felix runs according to `procDir`. */
export async function refuseRunningFelix(procDir: string): Promise<void> {
  const found = await findRunningFelix(procDir)
  if (found !== undefined) throw new FelixRunningError(found)
}

/** Turns a health-port EADDRINUSE into a FelixRunningError; other errors pass unchanged. */
export function healthPortError(err: unknown): unknown {
  if (!(err instanceof ListenError) || err.what !== 'health') return err
  const code = (err.cause as { code?: unknown } | undefined)?.code
  return code === 'EADDRINUSE'
    ? new FelixRunningError({ kind: 'health-port', host: err.host, port: err.port }, err)
    : err
}

/**
 * Records what changes in a node's kernel while a step runs: `ip monitor route neigh link` in the
 * node namespace, started before the step and stopped after it. A marker route added and removed
 * on a dummy-free path (a throw-away route on `lo`) proves the monitor was subscribed before the
 * step began, so "no change seen" means no change happened.
 */
import { waitFor } from '@cattail/common'
import type { MeshLab } from '@cattail/cli'

/** Kernel change lines seen by one monitor. */
export interface KernelWatch {
  /** Stops the monitor; returns the change lines seen after the marker (marker lines excluded). */
  stop(): Promise<string[]>
}

const MARKER = '198.18.255.254'

/** Starts `ip monitor` in `ns` and waits until it provably sees changes. */
export async function watchKernel(lab: MeshLab, ns: string, name: string): Promise<KernelWatch> {
  const proc = lab.start(name, ns, ['ip', 'monitor', 'route', 'neigh', 'link'])
  let n = 0
  // ip monitor subscribes after it starts: retry the marker until it shows up
  await waitFor(
    async () => {
      n++
      await lab.net.exec(ns, 'ip', 'route', 'add', `${MARKER}/32`, 'dev', 'lo', 'metric', String(n))
      await lab.net.exec(ns, 'ip', 'route', 'del', `${MARKER}/32`, 'dev', 'lo', 'metric', String(n))
      return proc.lines.some((l) => l.includes(MARKER)) || undefined
    },
    { timeoutMs: 10_000, intervalMs: 100, what: `ip monitor in ${ns} to subscribe` }
  )
  const skip = proc.lines.length
  return {
    async stop(): Promise<string[]> {
      // a last marker: everything before it has been read
      await lab.net.exec(ns, 'ip', 'route', 'add', `${MARKER}/32`, 'dev', 'lo', 'metric', '999')
      await lab.net.exec(ns, 'ip', 'route', 'del', `${MARKER}/32`, 'dev', 'lo', 'metric', '999')
      await waitFor(
        () => proc.lines.slice(skip).some((l) => l.includes(`${MARKER}`)) || undefined,
        {
          timeoutMs: 10_000,
          intervalMs: 20,
          what: `ip monitor in ${ns} to see the end marker`,
        }
      )
      const seen = proc.lines
        .slice(skip)
        .filter((l) => !l.includes(MARKER) && !/^Timestamp:/.test(l))
      await lab.stop(name)
      return seen.filter((l) => l.trim() !== '')
    },
  }
}

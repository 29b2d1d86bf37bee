/**
 * Test/benchmark harness: runs the production VXLAN dataplane inside whatever network namespace
 * it was started in (`ip netns exec <ns> node --conditions=source --import tsx <this file> …`).
 * Netlink sockets belong to the netns of the process, so this is how tests drive the real driver.
 *
 * stdin (JSON lines):  {"type":"updates","updates":[KVUpdate…]} | {"type":"gate","open":true}
 *                      | {"type":"resync"} | {"type":"stop"}
 * stdout (JSON lines): {"type":"started"} | {"type":"ack",count} (updates delivered) | {"type":"applied", status, changes, mode, resynced,
 *                      durationMs, sinceUpdateMs?, cycle} | {"type":"error","message"} | {"type":"stopped"}
 * argv: --node-name N [--netlink-max-ops N] [--use-netlink true|false] [--resync-interval-ms N]
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { createSilentLogger, createRootLogger, errorMessage } from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import { DEFAULT_DATAPLANE_LOOP_CONFIG } from '../dataplane/dataplane-loop.js'
import { DEFAULT_VXLAN_DATAPLANE_CONFIG } from '../dataplane/types.js'
import { createVxlanDataplane } from '../dataplane/vxlan-dataplane.js'

const { values } = parseArgs({
  options: {
    'node-name': { type: 'string' },
    'netlink-max-ops': { type: 'string' },
    'use-netlink': { type: 'string' },
    'resync-interval-ms': { type: 'string' },
    'log-level': { type: 'string' },
  },
})
const out = (o: object): void => {
  process.stdout.write(JSON.stringify(o) + '\n')
}
const level = values['log-level']
const log = level === undefined ? createSilentLogger() : createRootLogger(level as 'debug', 'agent')
let cycle = 0
/** performance.now() at which the oldest update line not yet covered by a finished cycle arrived. */
let pendingSince: number | undefined
const dp = createVxlanDataplane({
  nodeName: values['node-name'] ?? 'node',
  vxlan: {
    ...DEFAULT_VXLAN_DATAPLANE_CONFIG,
    netlinkMaxOps: Number(
      values['netlink-max-ops'] ?? DEFAULT_VXLAN_DATAPLANE_CONFIG.netlinkMaxOps
    ),
    useNetlink: values['use-netlink'] !== 'false',
  },
  loop: {
    ...DEFAULT_DATAPLANE_LOOP_CONFIG,
    resyncIntervalMs: Number(values['resync-interval-ms'] ?? 0),
  },
  log,
  hooks: {
    onApplied: (r, durationMs) => {
      const now = performance.now()
      // Only a cycle that started after the update arrived covers it.
      const covered = pendingSince !== undefined && pendingSince <= now - durationMs
      const sinceUpdateMs = covered ? now - (pendingSince ?? now) : undefined
      if (covered) pendingSince = undefined
      out({ type: 'applied', ...r, durationMs, sinceUpdateMs, cycle: ++cycle })
    },
    onError: (err) => out({ type: 'error', message: errorMessage(err), cycle: ++cycle }),
  },
})
await dp.start()
out({ type: 'started' })
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  const receivedAt = performance.now()
  if (line.trim() === '') continue
  const msg = JSON.parse(line) as
    | { type: 'updates'; updates: KVUpdate[] }
    | { type: 'gate'; open: boolean }
    | { type: 'resync' }
    | { type: 'stop' }
  if (msg.type === 'updates') {
    pendingSince ??= receivedAt
    dp.onUpdates(msg.updates)
    out({ type: 'ack', count: msg.updates.length })
  } else if (msg.type === 'gate') dp.loop.setGate(msg.open)
  else if (msg.type === 'resync') dp.loop.requestResync()
  else break
}
await dp.stop()
out({ type: 'stopped', netlinkRecreations: dp.netlink?.recreations ?? 0 })
process.exit(0)

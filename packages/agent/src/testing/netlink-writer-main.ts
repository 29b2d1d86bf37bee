/**
 * Test harness: runs the production NetlinkWriter inside whatever network namespace it was started
 * in (`ip netns exec <ns> node --conditions=source --import tsx <this file>`), so root tests can
 * check what the kernel accepts and how its errors are attributed.
 *
 * stdin: one JSON document `{"device": name, "maxInFlight"?: n, "steps": [[VxlanOp…]…]}`; the steps
 * run in order on ONE writer (one socket). stdout: one JSON line `{"results": […], "recreations"}`
 * with one result per step: `{"ok": true}` or `{"ok": false, "name", "op"?, "errno"?, "message"}`.
 */
import { readFileSync } from 'node:fs'
import { createSilentLogger, errorMessage } from '@cattail/common'
import { NetlinkRequestError } from '../errors.js'
import { NetlinkWriter } from '../dataplane/drivers/netlink-writer.js'
import { DEFAULT_VXLAN_DATAPLANE_CONFIG, type VxlanOp } from '../dataplane/types.js'

const input = JSON.parse(readFileSync(0, 'utf8')) as {
  device: string
  maxInFlight?: number
  steps: VxlanOp[][]
}
const ifindex = (name: string): number =>
  Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim())
const device = ifindex(input.device)
const writer = new NetlinkWriter(
  {
    ...DEFAULT_VXLAN_DATAPLANE_CONFIG,
    ...(input.maxInFlight !== undefined && { netlinkMaxInFlight: input.maxInFlight }),
  },
  createSilentLogger(),
  { onReset: () => undefined }
)
const links = { device, byName: new Map([[input.device, device]]) }
const results: object[] = []
for (const ops of input.steps) {
  try {
    await writer.apply(ops, links)
    results.push({ ok: true })
  } catch (err) {
    results.push({
      ok: false,
      name: err instanceof Error ? err.name : typeof err,
      ...(err instanceof NetlinkRequestError && { op: err.op, errno: err.errno }),
      message: errorMessage(err),
    })
  }
}
writer.close()
process.stdout.write(JSON.stringify({ results, recreations: writer.recreations }) + '\n')
process.exit(0)

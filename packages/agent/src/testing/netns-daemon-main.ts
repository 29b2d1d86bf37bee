/**
 * Test harness: runs the whole agent daemon (AgentDaemon: dataplane, health with `/status`,
 * metrics) inside whatever network namespace it was started in, with the update source replaced
 * by stdin, so root tests see exactly what an operator sees on the health and metrics ports.
 *
 * stdin (JSON lines):  {"type":"updates","updates":[KVUpdate…]} | {"type":"gate","open":true}
 *                      (in sync / disconnected) | {"type":"resync"} | {"type":"http","id",
 *                      "port":"health"|"metrics","path"} | {"type":"stop"}
 * stdout (JSON lines): {"type":"started"} | {"type":"ack",count} | {"type":"http",id,httpStatus,body}
 *                      | {"type":"stopped"}
 * argv: --node-name N [--log-level L]
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { createRootLogger, createSilentLogger } from '@cattail/common'
import type { KVUpdate } from '@cattail/model'
import { parseAgentConfig } from '../config.js'
import { AgentDaemon } from '../daemon.js'
import type { UpdateSink } from '../syncclient/update-source.js'

const { values } = parseArgs({
  options: { 'node-name': { type: 'string' }, 'log-level': { type: 'string' } },
})
const out = (o: object): void => {
  process.stdout.write(JSON.stringify(o) + '\n')
}
const level = values['log-level']
const log = level === undefined ? createSilentLogger() : createRootLogger(level as 'debug', 'agent')
let sink: UpdateSink | undefined
const daemon = new AgentDaemon(
  parseAgentConfig({
    nodeName: values['node-name'] ?? 'node',
    cacheAddresses: 'ws://127.0.0.1:1',
    healthPort: '0',
    metricsPort: '0',
    metricsHost: '127.0.0.1',
    resyncIntervalMs: '0',
    // the VXLAN cleanup and blocked-route tests; the policy dataplane has root tests of its own
    policy: 'false',
  }),
  log,
  (_cfg, s) => {
    sink = s
    return Promise.resolve({ start: () => Promise.resolve(), stop: () => Promise.resolve() })
  }
)
await daemon.start()
out({ type: 'started' })
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  if (line.trim() === '') continue
  const msg = JSON.parse(line) as
    | { type: 'updates'; updates: KVUpdate[] }
    | { type: 'gate'; open: boolean }
    | { type: 'resync' }
    | { type: 'http'; id: number; port: 'health' | 'metrics'; path: string }
    | { type: 'stop' }
  if (msg.type === 'updates') {
    sink?.onUpdates(msg.updates)
    out({ type: 'ack', count: msg.updates.length })
  } else if (msg.type === 'gate') sink?.onStatus('in-sync', msg.open)
  else if (msg.type === 'resync') daemon.dataplane.loop.requestResync()
  else if (msg.type === 'http') {
    const port = msg.port === 'health' ? daemon.healthPort : daemon.metricsPort
    const r = await fetch(`http://127.0.0.1:${port}${msg.path}`)
    out({ type: 'http', id: msg.id, httpStatus: r.status, body: await r.text() })
  } else break
}
await daemon.stop()
out({ type: 'stopped' })
process.exit(0)

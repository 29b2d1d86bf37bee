/**
 * Runs the test API server as its own process, for tests that need it inside a network namespace
 * (the e2e mesh runs its caches in a lab namespace, where the test process's own loopback is not
 * reachable). Writes a kubeconfig, prints `testapi listening <url>` once it serves, and stops on
 * SIGTERM/SIGINT. Objects are created through the API (real kubectl in the tests).
 *
 *   node --import tsx packages/testapi/src/serve.ts --kubeconfig-out <path> [--port N] [--token T]
 */
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { startTestApiServer } from './server.js'

const { values } = parseArgs({
  options: {
    'kubeconfig-out': { type: 'string' },
    port: { type: 'string', default: '0' },
    token: { type: 'string' },
    'bookmark-interval-ms': { type: 'string', default: '1000' },
  },
})
const out = values['kubeconfig-out']
const port = Number(values.port)
const bookmarkIntervalMs = Number(values['bookmark-interval-ms'])
if (out === undefined || !Number.isInteger(port) || !Number.isInteger(bookmarkIntervalMs)) {
  process.stderr.write(
    'usage: serve.ts --kubeconfig-out <path> [--port N] [--token T] [--bookmark-interval-ms N]\n'
  )
  process.exit(2)
}
const api = await startTestApiServer({
  port,
  bookmarkIntervalMs,
  ...(values.token !== undefined ? { token: values.token } : {}),
})
await writeFile(out, api.kubeconfig(), { mode: 0o600 })
process.stdout.write(`testapi listening ${api.url}\n`)
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    void api.stop().finally(() => process.exit(0))
  })
}

/**
 * `/liveness` and `/readiness` (agent default port 9099). Live = the dataplane loop has not
 * crashed. Ready = in sync with the cache AND the dataplane programmed; the body says why not.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the health endpoints report; computed on each request. */
export interface HealthSource {
  live(): { readonly ok: boolean; readonly detail: string }
  ready(): { readonly ok: boolean; readonly detail: string }
}

/** Serves the health endpoints; resolves once listening. */
export async function startHealthServer(
  src: HealthSource,
  host: string,
  port: number
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    const r = path === '/liveness' ? src.live() : path === '/readiness' ? src.ready() : undefined
    if (r === undefined) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(r.ok ? 200 : 503, { 'content-type': 'text/plain' }).end(r.detail + '\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return { server, port: (server.address() as AddressInfo).port }
}

/** Closes a server, waiting for open connections to end. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

/**
 * A loopback TCP proxy for tests: lets a test cut a client off from a server (both directions,
 * every open connection, and new ones refused) while the server keeps running, then restore the
 * path. Used to make a syncer lose its etcd connection while the test writes behind its back.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import { once } from 'node:events'

/** A running proxy. */
export interface TcpProxy {
  /** `127.0.0.1:<port>` the client should use. */
  readonly hostPort: string
  /** Destroys every connection and refuses new ones until `resume()`. */
  cut(): void
  /** Accepts connections again. */
  resume(): void
  /** Closes the proxy and every connection. */
  close(): Promise<void>
}

/** Starts a proxy on 127.0.0.1 (port 0) forwarding to `target` (`host:port`). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host, portText] = target.split(':') as [string, string]
  const sockets = new Set<Socket>()
  let open = true
  const track = (s: Socket): void => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => s.destroy())
  }
  const server: Server = createServer((client) => {
    track(client)
    if (!open) {
      client.destroy()
      return
    }
    const upstream = connect(Number(portText), host)
    track(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('proxy has no address')
  return {
    hostPort: `127.0.0.1:${addr.port}`,
    cut: () => {
      open = false
      for (const s of sockets) s.destroy()
    },
    resume: () => {
      open = true
    },
    close: async () => {
      open = false
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

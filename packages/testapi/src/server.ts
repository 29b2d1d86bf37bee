/**
 * The test API server: node:https (or http) on 127.0.0.1, bearer-token auth, discovery, REST verbs
 * and watches over an in-memory store, plus a control surface for tests (direct store access,
 * compaction, dropping watches, hard stop and restart on the same port).
 *
 * Why not a real kube-apiserver: none can be installed on this machine (no binaries, no Go
 * module downloads); this server speaks the same wire protocol for the paths cattail and kubectl use.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { type TestCert, makeTestCa, tempDir } from '@cattail/common/testing'
import { Auth } from './auth.js'
import { CrdRegistry } from './crd-resources.js'
import { type HandlerContext, type Verb, handle, readBody } from './handlers.js'
import { renderKubeconfig } from './kubeconfig.js'
import { route } from './router.js'
import { startTokenController } from './token-controller.js'
import type { ServedResource } from './served-resources.js'
import type { Identity } from './rbac.js'
import { ApiStatusError } from './status.js'
import { asTable } from './table.js'
import { type KubeObject, Store } from './store.js'
import { WatchHub } from './watch.js'

/** Options of {@link startTestApiServer}; every field is optional. */
export interface TestApiServerOptions {
  /** Serve https with a fresh test CA (true) or plain http. @default true */
  readonly tls?: boolean
  /** Bearer token clients must send. @default random */
  readonly token?: string
  /** Watch history kept, in events; older resourceVersions get 410. @default 1000 */
  readonly historyLimit?: number
  /** Interval of BOOKMARK events. @default 1000 */
  readonly bookmarkIntervalMs?: number
  /** How a too-old watch resourceVersion is reported. @default 'event' */
  readonly expiredAs?: 'event' | 'http'
  /** Server-side watch timeout when the client sends none; 0 = none. @default 0 */
  readonly defaultWatchTimeoutSeconds?: number
  /** Port to listen on. @default 0 (any free port) */
  readonly port?: number
  /**
   * Enforce RBAC (Roles, ClusterRoles and bindings in the store) for service-account tokens, with
   * kube-apiserver's 403 Forbidden; the admin token is always allowed. @default false
   */
  readonly enforceRbac?: boolean
}

/** Request counters by verb, plus discovery documents and rejected (401) requests. */
export type RequestCounts = Record<Verb | 'discovery' | 'unauthorized', number>

/**
 * A running test API server. Resource ids are kubectl spellings: `pods`,
 * `ippools.crd.projectcalico.org`, and `<plural>.<group>` of kinds served from CRDs.
 */
export interface TestApiServer {
  /** Base URL, e.g. `https://127.0.0.1:41234`. */
  readonly url: string
  readonly port: number
  /** PEM CA certificate (undefined for plain http). */
  readonly caCert: string | undefined
  readonly token: string
  /** Current global resourceVersion. */
  readonly revision: number
  /** Open watch streams. */
  readonly openWatches: number
  /** Kubeconfig YAML (optionally with another token, to test auth failures). */
  kubeconfig(opts?: { readonly token?: string; readonly namespace?: string }): string
  /** Writes `kubeconfig` into `dir` and returns its path. */
  writeKubeconfig(dir: string): Promise<string>
  /** Creates or replaces an object directly (no auth, no resourceVersion check). */
  put(resource: string, obj: KubeObject): KubeObject
  /** Deletes an object directly; returns it, or undefined when it did not exist. */
  remove(resource: string, name: string, namespace?: string): KubeObject | undefined
  /** Reads one object directly. */
  get(resource: string, name: string, namespace?: string): KubeObject | undefined
  /** Lists objects directly. */
  list(resource: string, namespace?: string): KubeObject[]
  /** Drops the watch history: any watch from an older resourceVersion gets 410. */
  compact(): void
  /** Ends every open watch cleanly, as a server-side timeout would. */
  dropWatches(): void
  /** Stops listening and destroys every connection (keeps the store). Idempotent. */
  stop(): Promise<void>
  /** Listens again on the same port with the same store. */
  restart(): Promise<void>
  /** Requests served so far. */
  counts(): Readonly<RequestCounts>
  /** The last 1000 requests as `METHOD /path?query`, oldest first (authorized or not). */
  requestLog(): readonly string[]
  /**
   * A token for a service account, as TokenRequest mints it (it authenticates while the
   * ServiceAccount exists). Pair with `kubeconfig({ token })`.
   */
  serviceAccountToken(namespace: string, name: string): string
  /** Turns RBAC enforcement for service-account tokens on or off. */
  setEnforceRbac(on: boolean): void
  /** The 403 Forbidden messages sent so far (the last 1000), oldest first. */
  denials(): readonly string[]
}

let caPromise: Promise<{ ca: string; server: TestCert }> | undefined

/** One CA and server certificate per process (openssl is slow-ish; the material is disposable). */
async function testPki(): Promise<{ ca: string; server: TestCert }> {
  caPromise ??= (async () => {
    const dir = await tempDir('cattail-testapi-')
    try {
      const ca = await makeTestCa(dir.path, 'testapi-ca')
      const server = await ca.issue('testapi-server', {
        cn: 'testapi',
        dnsNames: ['localhost'],
        ips: ['127.0.0.1'],
        usage: 'server',
      })
      return { ca: ca.cert, server }
    } finally {
      await dir.remove()
    }
  })()
  return await caPromise
}

/** Starts a test API server on 127.0.0.1. */
export async function startTestApiServer(opts: TestApiServerOptions = {}): Promise<TestApiServer> {
  const tls = opts.tls ?? true
  const token = opts.token ?? randomBytes(16).toString('hex')
  const pki = tls ? await testPki() : undefined
  const registry = new CrdRegistry()
  const store = new Store({ historyLimit: opts.historyLimit ?? 1000, admit: registry.admit })
  registry.attach(store)
  const auth = new Auth(store, token, opts.enforceRbac ?? false)
  startTokenController(store, auth, pki?.ca)
  const hub = new WatchHub()
  const counts: RequestCounts = {
    get: 0,
    list: 0,
    watch: 0,
    create: 0,
    update: 0,
    patch: 0,
    delete: 0,
    discovery: 0,
    unauthorized: 0,
  }
  const ctx: HandlerContext = {
    store,
    hub,
    watch: {
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 1000,
      expiredAs: opts.expiredAs ?? 'event',
      defaultTimeoutSeconds: opts.defaultWatchTimeoutSeconds ?? 0,
    },
    count: (v) => counts[v]++,
  }
  let port = opts.port ?? 0
  let server: Server | undefined
  const sockets = new Set<Socket>()

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, internalError(err))
      else res.destroy()
    })
  }
  const log: string[] = []
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    log.push(`${req.method ?? 'GET'} ${req.url ?? '/'}`)
    if (log.length > 1000) log.splice(0, log.length - 1000)
    try {
      let id: Identity
      try {
        id = auth.authenticate(req)
      } catch (err) {
        counts.unauthorized++
        throw err
      }
      const url = new URL(req.url ?? '/', 'http://localhost')
      const r = route(url, `127.0.0.1:${port}`, registry)
      if (r.kind === 'document') {
        counts.discovery++
        sendJson(res, 200, r.body)
        return
      }
      if (r.kind === 'raw') {
        counts.discovery++
        res.writeHead(200, { 'Content-Type': r.contentType, 'Content-Length': r.body.length })
        res.end(r.body)
        return
      }
      const method = req.method ?? 'GET'
      const authReply = auth.serve(id, r.request, method, () => readBody(req, true))
      if (authReply !== undefined) {
        const [code, body] = await authReply
        sendJson(res, code, body)
        return
      }
      auth.authorize(id, r.request, method)
      const reply = await handle(ctx, r.request, req, res)
      if (reply !== undefined) {
        const table =
          reply[0] === 200 && req.method === 'GET'
            ? asTable(r.request.resource, req.headers.accept, reply[1])
            : undefined
        sendJson(res, reply[0], table ?? reply[1])
      }
    } catch (err) {
      if (err instanceof ApiStatusError && !res.headersSent) sendJson(res, err.code, err.toStatus())
      else throw err
    }
  }

  const listen = async (): Promise<void> => {
    const s = pki
      ? createHttpsServer({ cert: pki.server.cert, key: pki.server.key }, onRequest)
      : createServer(onRequest)
    s.on('connection', (sock: Socket) => {
      sockets.add(sock)
      sock.on('close', () => sockets.delete(sock))
    })
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject)
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject)
        resolve()
      })
    })
    const addr = s.address()
    if (typeof addr === 'object' && addr !== null) port = addr.port
    server = s
  }

  const resourceOf = (id: string): ServedResource => {
    const r = registry.find(id)
    if (r === undefined) throw new Error(`testapi: unknown resource ${id}`)
    return r
  }

  await listen()
  const scheme = tls ? 'https' : 'http'
  const api: TestApiServer = {
    get url() {
      return `${scheme}://127.0.0.1:${port}`
    },
    get port() {
      return port
    },
    caCert: pki?.ca,
    token,
    get revision() {
      return store.revision
    },
    get openWatches() {
      return hub.size
    },
    kubeconfig: (o) =>
      renderKubeconfig({
        server: api.url,
        ...(pki !== undefined && { caCert: pki.ca }),
        token: o?.token ?? token,
        ...(o?.namespace !== undefined && { namespace: o.namespace }),
      }),
    writeKubeconfig: async (dir) => {
      const path = join(dir, 'kubeconfig')
      await writeFile(path, api.kubeconfig(), { mode: 0o600 })
      return path
    },
    put: (id, obj) => {
      const r = resourceOf(id)
      const name = obj.metadata.name ?? ''
      const cur = store.get(r, obj.metadata.namespace, name)
      if (cur === undefined) return store.create(r, obj.metadata.namespace, obj)
      const { resourceVersion: _rv, ...meta } = obj.metadata
      return store.update(r, obj.metadata.namespace, name, { ...obj, metadata: meta })
    },
    remove: (id, name, ns) => {
      const r = resourceOf(id)
      return store.get(r, ns, name) === undefined ? undefined : store.delete(r, ns, name)
    },
    get: (id, name, ns) => store.get(resourceOf(id), ns, name),
    list: (id, ns) => store.list(resourceOf(id), ns).map((o) => structuredClone(o)),
    compact: () => store.compact(),
    dropWatches: () => hub.endAll(),
    stop: async () => {
      const s = server
      server = undefined
      if (s === undefined) return
      const closed = new Promise<void>((resolve) => s.close(() => resolve()))
      for (const sock of sockets) sock.destroy()
      sockets.clear()
      hub.endAll()
      await closed
    },
    restart: async () => {
      if (server !== undefined) return
      await listen()
    },
    counts: () => ({ ...counts }),
    requestLog: () => [...log],
    serviceAccountToken: (ns, name) => auth.mint(ns, name).token,
    setEnforceRbac: (on) => {
      auth.enforceRbac = on
    },
    denials: () => [...auth.denials],
  }
  return api
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  })
  res.end(text)
}

function internalError(err: unknown): object {
  return new ApiStatusError(
    500,
    'InternalError',
    `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`
  ).toStatus()
}

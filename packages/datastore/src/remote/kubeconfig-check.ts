/**
 * Pure check of a kubeconfig's contents, so a bad kubeconfig shows as `ConfigIncomplete` with a
 * precise reason before any connection is attempted.
 */
import { parse as parseYaml } from 'yaml'

type Fields = Readonly<Record<string, unknown>>

const isRecord = (v: unknown): v is Fields =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Internal: a structural problem; caught in checkKubeconfig. */
class Problem extends Error {}

/**
 * Checks a kubeconfig's contents the way a client will use them: YAML object, a current context
 * that names an existing context, whose cluster exists and has a `server` URL (unless
 * `serverOverride` replaces it). Returns a problem description, or undefined when usable.
 */
export function checkKubeconfig(contents: string, serverOverride?: string): string | undefined {
  let doc: unknown
  try {
    doc = parseYaml(contents)
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err)
    return `kubeconfig is not valid YAML: ${msg}`
  }
  if (!isRecord(doc)) return 'kubeconfig is not a YAML mapping'
  const byName = (list: unknown, what: string): Map<string, Fields> => {
    if (list === undefined || list === null) return new Map()
    if (!Array.isArray(list)) throw new Problem(`kubeconfig ${what} must be a list`)
    const m = new Map<string, Fields>()
    for (const item of list as unknown[]) {
      if (isRecord(item) && typeof item['name'] === 'string') m.set(item['name'], item)
    }
    return m
  }
  try {
    const clusters = byName(doc['clusters'], 'clusters')
    const contexts = byName(doc['contexts'], 'contexts')
    const users = byName(doc['users'], 'users')
    const current = doc['current-context']
    let ctxName: string | undefined =
      typeof current === 'string' && current !== '' ? current : undefined
    if (ctxName === undefined && contexts.size === 1) ctxName = [...contexts.keys()][0]
    if (ctxName === undefined) return 'kubeconfig has no current-context'
    const ctx = contexts.get(ctxName)?.['context']
    if (!isRecord(ctx)) return `kubeconfig current-context "${ctxName}" names no context`
    const clusterName = ctx['cluster']
    const cluster =
      typeof clusterName === 'string' ? clusters.get(clusterName)?.['cluster'] : undefined
    if (!isRecord(cluster)) {
      return `kubeconfig context "${ctxName}" names no cluster (${JSON.stringify(clusterName ?? null)})`
    }
    const userName = ctx['user']
    if (typeof userName === 'string' && userName !== '' && !users.has(userName)) {
      return `kubeconfig context "${ctxName}" names an unknown user "${userName}"`
    }
    const server = serverOverride ?? cluster['server']
    if (typeof server !== 'string' || server === '') {
      return `kubeconfig cluster "${String(clusterName)}" has no server`
    }
    if (!isUrl(server, ['http:', 'https:'])) {
      return `kubeconfig cluster "${String(clusterName)}" server "${server}" is not an http(s) URL`
    }
    return undefined
  } catch (err) {
    if (err instanceof Problem) return err.message
    throw err
  }
}

/** True when `s` parses as a URL with one of `protocols` (`'http:'` …). */
export function isUrl(s: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(s).protocol)
  } catch {
    return false
  }
}

/**
 * Pure check of a kubeconfig's contents (YAML text in, problem text out), so a bad kubeconfig
 * shows as `ConfigIncomplete` with a precise reason before any client is built.
 *
 * Two levels:
 * - structure (every kubeconfig): a YAML mapping whose current context names an existing
 *   context, whose cluster exists and has an http(s) `server` (unless overridden);
 * - trust (kubeconfigs that did not come from the operator's own flags, i.e. an RCC's inline
 *   field or its access Secret): a remote cluster is a separate trust domain, so its kubeconfig
 *   may not make the cache run a command (`exec`, `auth-provider`) or read a local file (every
 *   path field @kubernetes/client-node honours). Contents fields (`*-data`, `token`) stay allowed.
 *   `allowExec` (an explicit cache flag) admits exec plugins; path fields stay rejected.
 *
 * Implementation: the whole document is walked, not only the current context's entries, since
 * client-node parses (and, for `token-file`, reads) every user at load time. The loader checks
 * the parsed KubeConfig again after client-node has read it (defence against parser differences).
 */
import { parse as parseYaml } from 'yaml'

type Fields = Readonly<Record<string, unknown>>

const isRecord = (v: unknown): v is Fields =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Cluster fields that name a local file. */
export const CLUSTER_FILE_FIELDS: readonly string[] = Object.freeze(['certificate-authority'])

/** User fields that name a local file (`token-file` is client-node's, `tokenFile` kubectl's). */
export const USER_FILE_FIELDS: readonly string[] = Object.freeze([
  'client-certificate',
  'client-key',
  'token-file',
  'tokenFile',
])

/** User fields that make the client run a command or a plugin that reads local files. */
export const USER_COMMAND_FIELDS: readonly string[] = Object.freeze(['exec', 'auth-provider'])

/** Options of {@link checkKubeconfig}. */
export interface KubeconfigCheckOptions {
  /** Replaces the cluster's `server` (RCC `k8sAPIEndpoint`); checked instead of it. */
  readonly serverOverride?: string
  /**
   * The kubeconfig came from outside the operator's flags (RCC inline field or Secret): reject
   * exec, auth-provider and path fields. @default false
   */
  readonly untrusted?: boolean
  /** With `untrusted`: admit `users[].user.exec` (the cache's explicit opt-in flag). @default false */
  readonly allowExec?: boolean
}

/** Internal: a structural problem; caught in checkKubeconfig. */
class Problem extends Error {}

/**
 * Checks a kubeconfig's contents the way a client will use them. Returns a problem description
 * (naming the offending field), or undefined when usable. Never throws.
 */
export function checkKubeconfig(
  contents: string,
  opts: KubeconfigCheckOptions = {}
): string | undefined {
  let doc: unknown
  try {
    // merge keys on: client-node's parser (js-yaml) resolves `<<`, so a field hidden behind one
    // must be seen here too
    doc = parseYaml(contents, { merge: true })
  } catch (err) {
    const msg = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)
    return `kubeconfig is not valid YAML: ${msg}`
  }
  if (!isRecord(doc)) return 'kubeconfig is not a YAML mapping'
  try {
    if (opts.untrusted === true) {
      const problem = untrustedFieldProblem(doc, opts.allowExec === true)
      if (problem !== undefined) return problem
    }
    return structureProblem(doc, opts.serverOverride)
  } catch (err) {
    if (err instanceof Problem) return err.message
    return `kubeconfig cannot be checked: ${err instanceof Error ? err.message : String(err)}`
  }
}

function byName(list: unknown, what: string): Map<string, Fields> {
  if (list === undefined || list === null) return new Map()
  if (!Array.isArray(list)) throw new Problem(`kubeconfig ${what} must be a list`)
  const m = new Map<string, Fields>()
  for (const item of list as unknown[]) {
    if (isRecord(item) && typeof item['name'] === 'string') m.set(item['name'], item)
  }
  return m
}

function entries(list: unknown): Fields[] {
  return Array.isArray(list) ? (list as unknown[]).filter(isRecord) : []
}

const label = (e: Fields): string => (typeof e['name'] === 'string' ? e['name'] : '?')

/** The first exec / auth-provider / path field in any user or cluster, as a problem. */
function untrustedFieldProblem(doc: Fields, allowExec: boolean): string | undefined {
  for (const u of entries(doc['users'])) {
    const user = u['user']
    if (!isRecord(user)) continue
    for (const f of USER_COMMAND_FIELDS) {
      if (f === 'exec' && allowExec) continue
      if (isSet(user[f])) {
        return (
          `kubeconfig users[${JSON.stringify(label(u))}].user.${f} is not allowed in a remote ` +
          `cluster's kubeconfig (it would run a command or read local files in the cache)` +
          (f === 'exec'
            ? '; the cache flag --allow-remote-kubeconfig-exec admits exec plugins'
            : '')
        )
      }
    }
    for (const f of USER_FILE_FIELDS) {
      if (isSet(user[f])) return fileProblem(`users[${JSON.stringify(label(u))}].user.${f}`)
    }
  }
  for (const c of entries(doc['clusters'])) {
    const cluster = c['cluster']
    if (!isRecord(cluster)) continue
    for (const f of CLUSTER_FILE_FIELDS) {
      if (isSet(cluster[f]))
        return fileProblem(`clusters[${JSON.stringify(label(c))}].cluster.${f}`)
    }
  }
  return undefined
}

const fileProblem = (field: string): string =>
  `kubeconfig ${field} is not allowed in a remote cluster's kubeconfig (it names a local file); ` +
  `use the *-data field with the contents instead`

const isSet = (v: unknown): boolean => v !== undefined && v !== null && v !== ''

function structureProblem(doc: Fields, serverOverride: string | undefined): string | undefined {
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
}

/** True when `s` parses as a URL with one of `protocols` (`'http:'` …). */
export function isUrl(s: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(s).protocol)
  } catch {
    return false
  }
}

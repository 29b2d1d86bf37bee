/**
 * The local files a remote's configuration names (etcd TLS files, a kubeconfig path, k8s CA/cert/key
 * files): reading them at connect time, and a content hash that tells when one was rotated in place
 * at the same path (RemoteCluster re-hashes every `fileCheckIntervalMs` and reconnects on a change).
 * An unreadable file hashes as its error code, so a file that vanishes and comes back is a change.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { errorMessage } from '@cattail/common'
import { checkKubeconfig } from '@cattail/kubeconfig'
import type { DatastoreConfig } from '../syncer.js'
import type { RemoteDesired } from './remote-cluster-deps.js'

/** Every local file `desired` names (read at connect time). */
export function configFiles(desired: Extract<RemoteDesired, { valid: true }>): string[] {
  const cfg = desired.config
  const out: (string | undefined)[] = []
  const f = desired.etcdTlsFiles
  if (f !== undefined) out.push(f.ca, f.cert, f.key)
  if (cfg.type === 'kubernetes') {
    if (cfg.kubeconfig.kind === 'path') out.push(cfg.kubeconfig.path)
    out.push(cfg.overrides?.caFile, cfg.overrides?.certFile, cfg.overrides?.keyFile)
  }
  return out.filter((p): p is string => p !== undefined && p !== '')
}

/** A hash of the files' contents (an unreadable file hashes as its error code). */
export async function hashFiles(paths: readonly string[]): Promise<string> {
  const h = createHash('sha256')
  for (const p of paths) {
    try {
      h.update(await readFile(p))
    } catch (err) {
      h.update(`unreadable:${String((err as { code?: unknown }).code)}`)
    }
    h.update('\0')
  }
  return h.digest('hex')
}

/**
 * Re-hashes `paths` every `intervalMs` and calls `onChange` when the hash differs from `baseline`
 * (one check at a time; the timer does not keep the process alive). Undefined when there is
 * nothing to watch; otherwise the timer, for `clearInterval`.
 */
export function watchFiles(
  paths: readonly string[],
  baseline: string,
  intervalMs: number,
  onChange: (paths: readonly string[]) => void,
  onError: (err: unknown) => void
): NodeJS.Timeout | undefined {
  if (paths.length === 0) return undefined
  let busy = false
  const tick = (): void => {
    if (busy) return
    busy = true
    hashFiles(paths)
      .then((hash) => {
        if (hash !== baseline) onChange(paths)
      })
      .catch(onError)
      .finally(() => (busy = false))
  }
  const timer = setInterval(tick, intervalMs)
  timer.unref()
  return timer
}

/** The config with its file fields read: etcd TLS files into `tls`, a kubeconfig path checked. */
export async function resolveFiles(
  desired: Extract<RemoteDesired, { valid: true }>
): Promise<DatastoreConfig> {
  const cfg = desired.config
  if (cfg.type === 'kubernetes' && cfg.kubeconfig.kind === 'path') {
    const contents = await readOrExplain(cfg.kubeconfig.path, 'kubeconfig')
    const server = cfg.overrides?.server
    const problem = checkKubeconfig(
      contents,
      server === undefined ? {} : { serverOverride: server }
    )
    if (problem !== undefined) throw new Error(`${cfg.kubeconfig.path}: ${problem}`)
  }
  const files = desired.etcdTlsFiles
  if (cfg.type !== 'etcdv3' || files === undefined) return cfg
  const tls: { ca?: string; cert?: string; key?: string } = { ...cfg.tls }
  if (files.ca !== undefined) tls.ca = await readOrExplain(files.ca, 'etcdCACertFile')
  if (files.cert !== undefined) tls.cert = await readOrExplain(files.cert, 'etcdCertFile')
  if (files.key !== undefined) tls.key = await readOrExplain(files.key, 'etcdKeyFile')
  return { ...cfg, tls }
}

/** Reads a file named by field `field`; the error names the field, the path and the code. */
async function readOrExplain(path: string, field: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as { code?: unknown }).code
    throw new Error(
      `cannot read ${field} ${path}: ${typeof code === 'string' ? code : errorMessage(err)}`,
      { cause: err }
    )
  }
}

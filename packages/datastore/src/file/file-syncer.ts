/**
 * The file driver: a folder of YAML manifests (see ./documents.ts for what a file may hold),
 * watched for changes. The embedded default datastore for the demo and quick trials.
 *
 * Overview
 *   start ─▶ resync-in-progress ─read folder─▶ in-sync ─fs.watch event─▶ debounce ─▶ re-read ─▶ …
 *   folder missing/unreadable ─▶ onFailure, resync-in-progress, backoff, retry
 *
 * Implementation
 *   - The watch is set up before each full read, so no change between the two is missed. Events
 *     are debounced (`debounceMs`) and reads never overlap: an event during a read schedules
 *     one more read after it.
 *   - Every read re-parses every file and hands the complete listing to `EmittedState.resync`,
 *     which emits only the differences (deleted files → deletions; a rewritten but unchanged
 *     file → nothing). Folders of demo size make this cheaper than tracking files one by one.
 *   - A bad document is reported once (BadObjectError naming `<file>#<index>`) until it changes;
 *     its key is treated as absent. When two documents define the same key, the later file (in
 *     name order) wins and a warning is logged.
 *   - Only the top level of the folder is read (fs.watch is not recursive on every platform).
 *     Symlinked files are followed, so a mounted ConfigMap (files linked through `..data`,
 *     swapped atomically on update) works.
 *     Write files atomically (write elsewhere, then rename), as editors and `kubectl` do;
 *     a half-written file is read as bad until its final write lands.
 */
import { watch, type FSWatcher } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import {
  AlreadyStartedError,
  Backoff,
  DEFAULT_BACKOFF_CONFIG,
  errorMessage,
  sleep,
  type BackoffConfig,
  type Logger,
  type MeshError,
} from '@cattail/common'
import { keyOf, keyToString, type Resource, type SyncStatus } from '@cattail/model'
import { EmittedState } from '../dedupe.js'
import { BadObjectError, DatastoreConnectionError } from '../errors.js'
import type { DatastoreConfig, Syncer, SyncerCallbacks, SyncerOptions } from '../syncer.js'
import { isManifestFileName, parseManifestFile } from './documents.js'

/** Tuning of the file driver. */
export interface FileSyncerTuning {
  /** Quiet time after the last change event before the folder is re-read. @default 50 */
  readonly debounceMs: number
  /** Retry backoff while the folder is missing or unreadable. @default DEFAULT_BACKOFF_CONFIG */
  readonly backoff: BackoffConfig
}

/** Defaults for {@link FileSyncerTuning}. */
export const DEFAULT_FILE_SYNCER_TUNING: FileSyncerTuning = {
  debounceMs: 50,
  backoff: DEFAULT_BACKOFF_CONFIG,
}

/** The file driver. Create with `createSyncer`; see the file comment for behaviour. */
export class FileSyncer implements Syncer {
  readonly #log: Logger
  readonly #state = new EmittedState()
  #status: SyncStatus = 'wait-for-ready'
  #abort: AbortController | undefined
  #loop: Promise<void> | undefined
  #stopped = false
  #generation = 0
  /** Problems reported by the last read (`source: detail`), so each is reported once. */
  #reported = new Set<string>()

  constructor(
    private readonly cfg: Extract<DatastoreConfig, { type: 'file' }>,
    private readonly opts: SyncerOptions,
    private readonly callbacks: SyncerCallbacks,
    private readonly tuning: FileSyncerTuning = DEFAULT_FILE_SYNCER_TUNING
  ) {
    this.#log = opts.log.child({ component: 'file-syncer', dir: cfg.dir })
  }

  /** Current status. */
  get status(): SyncStatus {
    return this.#status
  }

  /** Starts reading and watching the folder in the background; resolves at once. */
  start(signal?: AbortSignal): Promise<void> {
    if (this.#abort !== undefined) return Promise.reject(new AlreadyStartedError('file syncer'))
    const abort = new AbortController()
    this.#abort = abort
    signal?.addEventListener('abort', () => abort.abort(), { once: true })
    this.#log.info('file syncer starting')
    this.#loop = this.#run(abort.signal).catch((err: unknown) => {
      this.#log.fatal({ err }, 'file syncer loop crashed')
      this.#report(new DatastoreConnectionError('file', 'sync loop', err))
    })
    return Promise.resolve()
  }

  /** Stops watching. Idempotent; no callback runs after it resolves. */
  async stop(): Promise<void> {
    if (this.#abort === undefined || this.#stopped) return
    this.#stopped = true
    this.#abort.abort()
    await this.#loop
    this.#log.info('file syncer stopped')
  }

  #setStatus(status: SyncStatus): void {
    if (status === this.#status || this.#stopped) return
    this.#status = status
    this.#log.info({ status }, 'file syncer status')
    this.callbacks.onStatus(status)
  }

  #report(err: MeshError): void {
    if (!this.#stopped) this.callbacks.onFailure(err)
  }

  async #run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.tuning.backoff)
    this.#setStatus('resync-in-progress')
    while (!signal.aborted) {
      try {
        await this.#session(signal, () => backoff.reset())
        return
      } catch (err) {
        if (signal.aborted) return
        this.#log.error({ err }, 'cannot read manifest folder; will retry')
        this.#report(new DatastoreConnectionError('file', `read ${this.cfg.dir}`, err))
        this.#setStatus('resync-in-progress')
        if (!(await sleep(backoff.next(), signal))) return
      }
    }
  }

  /** Watches and re-reads until aborted (resolves) or the folder fails (rejects). */
  #session(signal: AbortSignal, onRead: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let watcher: FSWatcher | undefined
      let timer: NodeJS.Timeout | undefined
      let reading = false
      let again = false
      let finished = false
      const finish = (err?: unknown): void => {
        if (finished) return
        finished = true
        clearTimeout(timer)
        watcher?.close()
        signal.removeEventListener('abort', onAbort)
        if (err === undefined) resolve()
        else reject(err instanceof Error ? err : new Error(errorMessage(err)))
      }
      const onAbort = (): void => finish()
      const read = (): void => {
        reading = true
        this.#readAll().then(
          () => {
            reading = false
            if (finished) return
            onRead()
            this.#setStatus('in-sync')
            if (again) {
              again = false
              schedule()
            }
          },
          (err: unknown) => {
            reading = false
            finish(err)
          }
        )
      }
      const schedule = (): void => {
        if (finished) return
        if (reading) {
          again = true
          return
        }
        clearTimeout(timer)
        timer = setTimeout(read, this.tuning.debounceMs)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        watcher = watch(this.cfg.dir, { persistent: true }, () => schedule())
        watcher.on('error', (err) => finish(err))
      } catch (err) {
        finish(err)
        return
      }
      read()
    })
  }

  /** Reads every manifest file and emits the differences. */
  async #readAll(): Promise<void> {
    const entries = await readdir(this.cfg.dir, { withFileTypes: true })
    const names = entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && isManifestFileName(e.name))
      .map((e) => e.name)
      .sort()
    const listing = new Map<string, Resource>()
    const origin = new Map<string, string>()
    const problems = new Map<string, BadObjectError>()
    for (const name of names) {
      let text: string
      try {
        text = await readFile(join(this.cfg.dir, name), 'utf8')
      } catch (err) {
        // Deleted between readdir and readFile (the next event re-reads), or a symlink to a
        // folder: skip it.
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'EISDIR') continue
        throw err
      }
      const contents = parseManifestFile(name, text)
      for (const p of contents.problems) {
        problems.set(
          `${p.source}: ${p.detail}`,
          new BadObjectError(p.source, p.detail, undefined, p.kind, p.reason)
        )
      }
      for (const { source, resource } of contents.resources) {
        if (!this.#wanted(resource)) continue
        const key = keyToString(keyOf(resource))
        const earlier = origin.get(key)
        if (earlier !== undefined) {
          this.#log.warn(
            { key, first: earlier, second: source },
            'duplicate object; the later one wins'
          )
        }
        origin.set(key, source)
        listing.set(key, resource)
      }
    }
    if (this.#stopped) return
    for (const [id, err] of problems) {
      if (this.#reported.has(id)) continue
      this.#log.warn(
        { source: err.source, kind: err.kind, reason: err.reason, detail: err.detail },
        'invalid object treated as absent'
      )
      this.#report(err)
    }
    this.#reported = new Set(problems.keys())
    const revision = String(++this.#generation)
    const updates = this.#state.resync(listing, revision)
    this.#log.debug(
      { revision, files: names.length, keys: listing.size, changes: updates.length },
      'manifest folder read'
    )
    if (updates.length > 0 && !this.#stopped) this.callbacks.onUpdates(updates)
  }

  #wanted(r: Resource): boolean {
    if (!this.opts.kinds.has(r.kind)) return false
    const ns = this.opts.secretsNamespace
    return r.kind !== 'Secret' || ns === undefined || r.metadata.namespace === ns
  }
}

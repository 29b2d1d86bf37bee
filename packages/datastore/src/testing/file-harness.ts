/**
 * SyncerHarness for the file driver over a temporary folder. Each object lives in its own file
 * `<Kind>.<namespace|_>.<name>.yaml`, written atomically (temporary hidden file, then rename).
 * There is no server to stop and no history to compact: those tests are skipped with a reason.
 */
import { rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir, type TempDir } from '@cattail/common/testing'
import type { Resource, ResourceKind } from '@cattail/model'
import { stringify } from 'yaml'
import {
  FileSyncer,
  DEFAULT_FILE_SYNCER_TUNING,
  type FileSyncerTuning,
} from '../file/file-syncer.js'
import { toManifest } from '../manifest.js'
import type { SyncerCallbacks, SyncerOptions } from '../syncer.js'
import type { SyncerHarness } from './contract.js'

/** Tuning for tests: a short debounce and quick retries. */
export const TEST_FILE_SYNCER_TUNING: FileSyncerTuning = {
  ...DEFAULT_FILE_SYNCER_TUNING,
  debounceMs: 20,
  backoff: { initialMs: 20, maxMs: 200, factor: 2, jitter: 0.2 },
}

/** The file harness plus its folder. */
export interface FileHarness extends SyncerHarness {
  readonly dir: TempDir
  /** Writes `text` to `name` in the folder atomically. */
  writeFileAtomic(name: string, text: string): Promise<void>
}

let seq = 0

/** Creates an empty manifest folder. */
export async function makeFileHarness(): Promise<FileHarness> {
  const dir = await tempDir('cattail-file-ds-')
  const fileOf = (kind: ResourceKind, name: string, ns: string | undefined): string =>
    `${kind}.${ns ?? '_'}.${name}.yaml`
  const writeFileAtomic = async (name: string, text: string): Promise<void> => {
    const tmp = join(dir.path, `.tmp-${process.pid}-${++seq}`)
    await writeFile(tmp, text)
    await rename(tmp, join(dir.path, name))
  }
  return {
    dir,
    writeFileAtomic,
    capabilities: {
      serverRestart: 'the file driver has no server to stop',
      compaction: 'the file driver has no watch history to compact',
      writeWhileStopped: true,
    },
    createSyncer: (opts: SyncerOptions, callbacks: SyncerCallbacks) =>
      new FileSyncer({ type: 'file', dir: dir.path }, opts, callbacks, TEST_FILE_SYNCER_TUNING),
    put: (r: Resource) =>
      writeFileAtomic(
        fileOf(r.kind, r.metadata.name, r.metadata.namespace),
        stringify(toManifest(r))
      ),
    putRaw: (kind, name, ns, raw) =>
      writeFileAtomic(fileOf(kind, name, ns), typeof raw === 'string' ? raw : stringify(raw)),
    remove: (kind, name, ns) => rm(join(dir.path, fileOf(kind, name, ns)), { force: true }),
    stopServer: () => Promise.reject(new Error('not supported')),
    startServer: () => Promise.reject(new Error('not supported')),
    compact: () => Promise.reject(new Error('not supported')),
    close: () => dir.remove(),
  }
}

import { strict as assert } from 'node:assert'
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { tempDir, waitFor } from '@cattail/common/testing'
import type { ResourceKind } from '@cattail/model'
import { SyncerRecorder } from '../testing/recorder.js'
import { TEST_FILE_SYNCER_TUNING } from '../testing/file-harness.js'
import { FileSyncer } from './file-syncer.js'

const KINDS = new Set<ResourceKind>(['IPPool', 'Profile', 'WorkloadEndpoint', 'Node'])

void describe('file driver specifics', () => {
  void it('waits for a missing folder, reporting failures, then syncs multi-document files', async () => {
    const root = await tempDir('cattail-file-missing-')
    const dir = join(root.path, 'manifests')
    const rec = new SyncerRecorder()
    const syncer = new FileSyncer(
      { type: 'file', dir },
      { kinds: KINDS, log: createSilentLogger() },
      rec,
      TEST_FILE_SYNCER_TUNING
    )
    await syncer.start()
    try {
      await waitFor(() => rec.failures.length > 0, { what: 'a failure for the missing folder' })
      assert.equal(rec.failures[0]?.code, 'ERR_DATASTORE_CONNECTION')
      assert.equal(syncer.status, 'resync-in-progress')
      await mkdir(dir)
      await writeFile(
        join(dir, 'demo.yaml'),
        [
          'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {env: prod}}',
          'apiVersion: v1\nkind: Node\nmetadata:\n  name: node-1\n  annotations:\n    projectcalico.org/IPv4Address: 198.18.0.1/16\n    projectcalico.org/IPv4VXLANTunnelAddr: 198.19.1.0',
          'apiVersion: v1\nkind: Service\nmetadata: {name: ignored, namespace: shop}',
        ].join('\n---\n')
      )
      await waitFor(() => rec.status === 'in-sync' && rec.state.size === 2, {
        what: 'in-sync with 2 objects',
      })
      assert.deepEqual([...rec.state.keys()].sort(), ['Node/node-1', 'Profile/kns.shop'])
    } finally {
      await syncer.stop()
      await root.remove()
    }
  })

  void it('reports a bad document once, names file and index, and forgets it when fixed', async () => {
    const dir = await tempDir('cattail-file-bad-')
    await writeFile(
      join(dir.path, 'pools.yaml'),
      'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: good}\nspec: {cidr: 198.19.0.0/16}\n---\napiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: bad}\nspec: {cidr: nope}\n'
    )
    const rec = new SyncerRecorder()
    const syncer = new FileSyncer(
      { type: 'file', dir: dir.path },
      { kinds: KINDS, log: createSilentLogger() },
      rec,
      TEST_FILE_SYNCER_TUNING
    )
    await syncer.start()
    try {
      await waitFor(() => rec.status === 'in-sync', { what: 'in-sync' })
      assert.deepEqual([...rec.state.keys()], ['IPPool/good'])
      assert.deepEqual(
        rec.failures.map((f) => f.message),
        ['pools.yaml#1: IPPool bad: spec.cidr "nope" is not a valid CIDR']
      )
      // Another file changes: the unchanged bad document is not reported again.
      await writeFile(
        join(dir.path, 'tier.yaml'),
        'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: other}\nspec: {cidr: 198.20.0.0/16}\n'
      )
      await waitFor(() => rec.state.has('IPPool/other'), { what: 'the second file' })
      assert.equal(rec.failures.length, 1)
      await rm(join(dir.path, 'pools.yaml'))
      await waitFor(() => !rec.state.has('IPPool/good'), { what: 'deleted file → deletion' })
      assert.equal(rec.countFor('IPPool/other'), 1)
    } finally {
      await syncer.stop()
      await dir.remove()
    }
  })

  void it('follows a mounted ConfigMap layout (symlinks through ..data, swapped atomically)', async () => {
    const dir = await tempDir('cattail-file-cm-')
    const pool = (cidr: string): string =>
      `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: cm-pool}\nspec: {cidr: ${cidr}}\n`
    const version = async (name: string, cidr: string): Promise<void> => {
      await mkdir(join(dir.path, name))
      await writeFile(join(dir.path, name, 'pools.yaml'), pool(cidr))
    }
    await version('..v1', '198.19.0.0/16')
    await symlink('..v1', join(dir.path, '..data'))
    await symlink('..data/pools.yaml', join(dir.path, 'pools.yaml'))
    const rec = new SyncerRecorder()
    const syncer = new FileSyncer(
      { type: 'file', dir: dir.path },
      { kinds: KINDS, log: createSilentLogger() },
      rec,
      TEST_FILE_SYNCER_TUNING
    )
    await syncer.start()
    try {
      await waitFor(() => rec.status === 'in-sync' && rec.state.has('IPPool/cm-pool'), {
        what: 'in-sync',
      })
      await version('..v2', '198.20.0.0/16')
      await symlink('..v2', join(dir.path, '..data_tmp'))
      await rename(join(dir.path, '..data_tmp'), join(dir.path, '..data'))
      await waitFor(
        () =>
          (rec.state.get('IPPool/cm-pool')?.spec as { cidr?: string } | undefined)?.cidr ===
          '198.20.0.0/16',
        { what: 'the swapped ConfigMap contents' }
      )
      assert.deepEqual(rec.failures, [])
    } finally {
      await syncer.stop()
      await dir.remove()
    }
  })
})

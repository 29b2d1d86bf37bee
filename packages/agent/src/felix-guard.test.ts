import { strict as assert } from 'node:assert'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createSilentLogger } from '@cattail/common'
import { tempDir } from '@cattail/common/testing'
import { parseAgentConfig } from './config.js'
import { AgentDaemon } from './daemon.js'
import { FelixRunningError } from './errors.js'
import { findRunningFelix, isFelixProcess } from './felix-guard.js'
import type { UpdateSource } from './syncclient/update-source.js'

/** Writes a fake /proc/<pid>/{comm,cmdline}. */
async function fakeProc(root: string, pid: number, comm: string, argv: string[]): Promise<void> {
  await mkdir(join(root, String(pid)), { recursive: true })
  await writeFile(join(root, String(pid), 'comm'), comm + '\n')
  await writeFile(join(root, String(pid), 'cmdline'), argv.join('\0') + '\0')
}

const source: UpdateSource = { start: () => Promise.resolve(), stop: () => Promise.resolve() }

void describe('never fight a running Felix', () => {
  void it('recognises Felix, not the calico-node services and probes that run with Felix disabled', () => {
    assert.equal(isFelixProcess('calico-felix', ['/usr/bin/calico-felix']), true)
    assert.equal(isFelixProcess('calico-node', ['/bin/calico-node', '-felix']), true)
    assert.equal(
      isFelixProcess('calico-node', ['calico-node', '-felix-live', '-felix-ready']),
      false
    )
    assert.equal(isFelixProcess('calico-node', ['calico-node', '-allocate-tunnel-addrs']), false)
    assert.equal(isFelixProcess('node', ['node', 'cattail', 'agent', '-felix']), false)
  })

  void it('scans a /proc root; unreadable or vanished entries are skipped', async () => {
    const dir = await tempDir('ct-proc-')
    try {
      await fakeProc(dir.path, 10, 'calico-node', ['calico-node', '-status-reporter'])
      await fakeProc(dir.path, 11, 'calico-node', ['calico-node', '-felix-ready', '-bird-ready'])
      await mkdir(join(dir.path, '12')) // vanished: no comm, no cmdline
      await mkdir(join(dir.path, 'self'))
      assert.equal(await findRunningFelix(dir.path), undefined)
      await fakeProc(dir.path, 42, 'calico-node', ['/bin/calico-node', '-felix'])
      assert.deepEqual(await findRunningFelix(dir.path), {
        kind: 'process',
        pid: 42,
        command: '/bin/calico-node -felix',
      })
      assert.equal(await findRunningFelix(join(dir.path, 'no-such-dir')), undefined)
    } finally {
      await dir.remove()
    }
  })

  void it('the daemon refuses to start when Felix runs or its health port is taken', async () => {
    const dir = await tempDir('ct-proc-')
    const taken = createServer()
    try {
      await fakeProc(dir.path, 7, 'calico-felix', ['calico-felix'])
      const base = {
        nodeName: 'me',
        cacheAddresses: 'ws://127.0.0.1:1',
        metricsEnabled: 'false',
        vxlanDevice: `ctf${process.pid % 100_000}`,
      }
      const withFelix = new AgentDaemon(
        parseAgentConfig({ ...base, healthPort: '0', hostProcDir: dir.path }),
        createSilentLogger(),
        () => Promise.resolve(source)
      )
      await assert.rejects(
        withFelix.start(),
        (e: unknown) =>
          e instanceof FelixRunningError &&
          e.evidence.kind === 'process' &&
          /pid 7/.test(e.message) &&
          /CALICO_DISABLE_FELIX=true/.test(e.message)
      )
      // Felix's health port already bound by someone else.
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
      const port = (taken.address() as { port: number }).port
      const portTaken = new AgentDaemon(
        parseAgentConfig({
          ...base,
          healthPort: String(port),
          hostProcDir: join(dir.path, 'empty'),
        }),
        createSilentLogger(),
        () => Promise.resolve(source)
      )
      await assert.rejects(
        portTaken.start(),
        (e: unknown) =>
          e instanceof FelixRunningError &&
          e.evidence.kind === 'health-port' &&
          e.evidence.port === port &&
          /CALICO_DISABLE_FELIX=true/.test(e.message)
      )
    } finally {
      taken.close()
      await dir.remove()
    }
  })
})

import { strict as assert } from 'node:assert'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { waitFor } from '@cattail/common'
import { CommandError, CommandTimeoutError } from '../../errors.js'
import { runCommand, startCommand } from './child-process.js'
import { Iproute2 } from './iproute2.js'

/** A child that never exits on its own. */
const HANG = ['-e', 'setInterval(() => {}, 1 << 30)']

const gone = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return false
  } catch {
    return true
  }
}

void describe('child processes under a deadline', () => {
  void it('feeds stdin and resolves stdout; a non-zero exit is a CommandError with stderr', async () => {
    const echo = 'process.stdin.pipe(process.stdout)'
    assert.equal(await runCommand(process.execPath, ['-e', echo], { stdin: 'hello' }), 'hello')
    await assert.rejects(
      runCommand(process.execPath, ['-e', 'console.error("bad line 3"); process.exit(2)']),
      (e: unknown) => e instanceof CommandError && e.exitCode === 2 && /bad line 3/.test(e.stderr)
    )
  })

  void it('a child that never exits is killed with SIGKILL past its deadline: CommandTimeoutError', async () => {
    const c = startCommand(process.execPath, HANG, { timeoutMs: 100, label: 'hang' })
    c.stdin.end()
    await assert.rejects(
      c.done,
      (e: unknown) =>
        e instanceof CommandTimeoutError && e.timeoutMs === 100 && e.command === 'hang'
    )
    assert.ok(c.pid !== undefined)
    await waitFor(() => gone(c.pid as number), { what: 'the hung child to be gone' })
  })

  void it('the deadline can be re-armed (a batch fed in chunks) and an abort kills the child', async () => {
    const c = startCommand(process.execPath, HANG, { timeoutMs: 0 })
    c.setDeadline(50)
    await assert.rejects(c.done, CommandTimeoutError)
    const ac = new AbortController()
    const d = startCommand(process.execPath, HANG, { timeoutMs: 0, signal: ac.signal })
    ac.abort(new Error('stop'))
    await assert.rejects(d.done, /stop/)
    await waitFor(() => gone(d.pid as number))
  })

  void it('a grandchild holding the pipes open does not delay the timeout error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ct-child-'))
    try {
      const script = join(dir, 'hang.sh')
      const pidFile = join(dir, 'grandchild.pid')
      await writeFile(script, `#!/bin/sh\nsleep 600 &\necho $! > ${pidFile}\nwait\n`)
      await chmod(script, 0o755)
      const c = startCommand(script, [], { timeoutMs: 100 })
      c.stdin.end()
      try {
        await assert.rejects(c.done, CommandTimeoutError)
      } finally {
        const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''))
        if (pid > 0) process.kill(pid, 'SIGKILL')
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  void it('Iproute2: a hung `ip` fails run() and a batch with CommandTimeoutError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ct-fake-ip-'))
    const path = process.env['PATH']
    try {
      // A fake `ip` that reads nothing and never exits.
      await writeFile(
        join(dir, 'ip'),
        `#!/bin/sh\nexec ${process.execPath} ${HANG.map((a) => `'${a}'`).join(' ')}\n`
      )
      await chmod(join(dir, 'ip'), 0o755)
      process.env['PATH'] = `${dir}:${path ?? ''}`
      const ip = new Iproute2(undefined, { timeoutMs: 100 })
      await assert.rejects(ip.json('ip', ['link', 'show']), CommandTimeoutError)
      const b = ip.openBatch('ip')
      await b.write(['route add blackhole 198.18.0.0/32'])
      await assert.rejects(b.end(), CommandTimeoutError)
    } finally {
      process.env['PATH'] = path
      await rm(dir, { recursive: true, force: true })
    }
  })
})

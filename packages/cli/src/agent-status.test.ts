import { strict as assert } from 'node:assert'
import { createServer } from 'node:http'
import { describe, it } from 'node:test'
import { AgentDaemon, parseAgentConfig, type UpdateSink } from '@cattail/agent'
import { createSilentLogger } from '@cattail/common'
import { freePort, waitFor } from '@cattail/common/testing'
import { AgentStatusError, fetchAgentStatus, formatAgentStatus } from './agent-status.js'
import { statusCommand } from './status.js'

void describe('cattail status --agent', () => {
  void it("reads a running agent's /status and prints it; exit code 1 while not ready", async () => {
    let sink: UpdateSink | undefined
    const daemon = new AgentDaemon(
      parseAgentConfig({
        nodeName: 'n1',
        cacheAddresses: 'ws://127.0.0.1:1',
        healthPort: '0',
        metricsEnabled: 'false',
        // Without a local VTEP the driver removes what it owns: nothing on this host is ours.
        vxlanDevice: `ctc${process.pid % 100_000}`,
        routeProtocol: '253',
      }),
      createSilentLogger(),
      (_c, s) => {
        sink = s
        return Promise.resolve({ start: () => Promise.resolve(), stop: () => Promise.resolve() })
      }
    )
    await daemon.start()
    try {
      const base = `http://127.0.0.1:${daemon.healthPort}`
      const r = await fetchAgentStatus(base, 5000)
      assert.equal(r.nodeName, 'n1')
      assert.equal(r.ready, false)
      assert.match(formatAgentStatus(r), /ready: {6}no \(not in sync with the cache/)
      sink?.onStatus('in-sync', true)
      await waitFor(async () => (await fetchAgentStatus(base, 5000)).dataplane === 'waiting')
      const text = formatAgentStatus({
        ...(await fetchAgentStatus(base, 5000)),
        blockedRoutes: [{ dst: '198.19.1.0/26', wanted: 'via 198.19.3.1 dev vxlan.calico' }],
      })
      assert.match(text, /blocked routes .*: 1\n {4}198\.19\.1\.0\/26 +wanted via 198\.19\.3\.1/)
      const cmd = statusCommand().exitOverride()
      const saved = process.exitCode
      const out: string[] = []
      const write = process.stdout.write.bind(process.stdout)
      process.stdout.write = (s: string) => out.push(s) > 0
      try {
        await cmd.parseAsync(['--agent', base + '/'], { from: 'user' })
        assert.equal(process.exitCode, 1) // not ready
      } finally {
        process.stdout.write = write
        process.exitCode = saved
      }
      assert.match(out.join(''), /agent on node n1\n {2}ready: {6}no/)
    } finally {
      await daemon.stop()
    }
  })

  void it('a clear error for an unreachable agent or an answer that is not an agent status', async () => {
    await assert.rejects(
      fetchAgentStatus(`http://127.0.0.1:${await freePort()}`, 2000),
      (e: unknown) =>
        e instanceof AgentStatusError && /cannot read the agent status/.test(e.message)
    )
    const srv = createServer((_req, res) => res.end('{"hello":1}'))
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
    try {
      const port = (srv.address() as { port: number }).port
      await assert.rejects(
        fetchAgentStatus(`http://127.0.0.1:${port}`, 2000),
        /not an agent status document/
      )
    } finally {
      srv.close()
    }
  })
})

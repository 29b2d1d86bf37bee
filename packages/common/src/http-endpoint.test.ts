import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createSilentLogger } from './logger.js'
import { HttpEndpoint, ListenError, metricsRoute } from './http-endpoint.js'

describe('HttpEndpoint', () => {
  it('answers its routes, 404s others, turns a failing handler into a 500, and rebinding fails clearly', async () => {
    const ep = new HttpEndpoint(
      'test',
      { host: '127.0.0.1', port: 0 },
      {
        '/ok': () => ({ status: 200, contentType: 'text/plain', body: 'fine\n' }),
        '/metrics': metricsRoute({
          metrics: () => Promise.resolve('m 1\n'),
          contentType: 'text/plain; version=0.0.4',
        }),
        '/boom': () => Promise.reject(new Error('boom')),
      },
      createSilentLogger()
    )
    await ep.start()
    try {
      const base = `http://127.0.0.1:${ep.port}`
      const ok = await fetch(`${base}/ok?x=1`)
      assert.equal(ok.status, 200)
      assert.equal(await ok.text(), 'fine\n')
      const m = await fetch(`${base}/metrics`)
      assert.equal(m.headers.get('content-type'), 'text/plain; version=0.0.4')
      assert.equal(await m.text(), 'm 1\n')
      assert.equal((await fetch(`${base}/nope`)).status, 404)
      assert.equal((await fetch(`${base}/boom`)).status, 500)
      const clash = new HttpEndpoint(
        'clash',
        { host: '127.0.0.1', port: ep.port },
        {},
        createSilentLogger()
      )
      await assert.rejects(
        clash.start(),
        (err: unknown) => err instanceof ListenError && err.code === 'ERR_LISTEN'
      )
    } finally {
      await ep.stop()
      await ep.stop()
    }
  })
})

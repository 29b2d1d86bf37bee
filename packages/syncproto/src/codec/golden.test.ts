import { strict as assert } from 'node:assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { decodeFrame } from './decode.js'
import { encodeFrame } from './encode.js'
import { GOLDEN_FRAMES, GOLDEN_FRAME_OPTIONS, GOLDEN_KVS } from './golden-cases.js'
import { encodeKv } from './kv.js'

// Run with CATTAIL_UPDATE_GOLDEN=1 to rewrite the file after a deliberate, reviewed wire change.
const FILE = fileURLToPath(new URL('./testdata/golden-frames.json', import.meta.url))

interface GoldenFile {
  readonly frames: Record<string, string>
  readonly kvs: Record<string, string>
}

function current(): GoldenFile {
  const frames: Record<string, string> = {}
  for (const [name, msg] of Object.entries(GOLDEN_FRAMES))
    frames[name] = encodeFrame(msg, GOLDEN_FRAME_OPTIONS[name]).toString('hex')
  const kvs: Record<string, string> = {}
  for (const [name, kv] of Object.entries(GOLDEN_KVS)) kvs[name] = encodeKv(kv).toString('hex')
  return { frames, kvs }
}

if (process.env.CATTAIL_UPDATE_GOLDEN === '1') {
  writeFileSync(FILE, JSON.stringify(current(), null, 2) + '\n')
}
const golden = JSON.parse(readFileSync(FILE, 'utf8')) as GoldenFile

void describe('golden wire bytes', () => {
  void it('has a golden entry for every case and no stale ones', () => {
    assert.deepEqual(Object.keys(golden.frames).sort(), Object.keys(GOLDEN_FRAMES).sort())
    assert.deepEqual(Object.keys(golden.kvs).sort(), Object.keys(GOLDEN_KVS).sort())
  })

  for (const [name, msg] of Object.entries(GOLDEN_FRAMES)) {
    void it(`${name} encodes to the checked-in bytes`, () => {
      assert.equal(
        encodeFrame(msg, GOLDEN_FRAME_OPTIONS[name]).toString('hex'),
        golden.frames[name]
      )
    })
    void it(`${name} checked-in bytes decode to the input`, () => {
      assert.deepEqual(decodeFrame(Buffer.from(golden.frames[name]!, 'hex')), msg)
    })
  }

  for (const [name, kv] of Object.entries(GOLDEN_KVS)) {
    void it(`KV blob ${name} encodes to the checked-in bytes`, () => {
      assert.equal(encodeKv(kv).toString('hex'), golden.kvs[name])
    })
  }

  void it('a frame type byte never changes meaning', () => {
    const firstBytes = Object.fromEntries(
      Object.entries(golden.frames).map(([n, hex]) => [n, hex.slice(0, 2)])
    )
    assert.deepEqual(firstBytes, {
      'client-hello': '01',
      'client-hello-resume': '01',
      'server-hello': '02',
      'snapshot-chunk': '03',
      'snapshot-chunk-empty': '03',
      deltas: '04',
      'deltas-deflate': '04',
      status: '05',
      ping: '06',
      pong: '07',
      'go-away': '08',
      'go-away-min': '08',
    })
  })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { waitFor } from '@cattail/common'
import { WorkQueue } from './work-queue.js'

/** A handler whose work for each call finishes when the test says so. */
function controlled(): {
  calls: string[]
  pending: Map<string, { resolve: () => void; reject: (e: Error) => void }>
  handler: (k: string) => Promise<void>
} {
  const calls: string[] = []
  const pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>()
  return {
    calls,
    pending,
    handler: (k) => {
      calls.push(k)
      return new Promise<void>((resolve, reject) => pending.set(k, { resolve, reject }))
    },
  }
}

test('nothing runs before open; a burst of marks is one call per key', async () => {
  const c = controlled()
  const q = new WorkQueue(10, 1, c.handler)
  q.add('a')
  q.add('a')
  q.add('b')
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(c.calls, [])
  q.open()
  q.schedule()
  await waitFor(() => c.calls.length === 2, { timeoutMs: 2000 })
  assert.deepEqual(c.calls, ['a', 'b'])
  for (const p of c.pending.values()) p.resolve()
  await q.idle()
  q.stop()
})

test('concurrency is bounded and a key marked while in flight runs again after it', async () => {
  const c = controlled()
  const q = new WorkQueue(1, 1, c.handler)
  q.open()
  q.add('a')
  q.add('b')
  await waitFor(() => c.calls.length === 1, { timeoutMs: 2000 })
  q.add('a') // in flight: must wait, not run twice at once
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(c.calls, ['a'])
  c.pending.get('a')?.resolve()
  await waitFor(() => c.calls.length === 2, { timeoutMs: 2000 })
  c.pending.get(c.calls[1] ?? '')?.resolve()
  await waitFor(() => c.calls.length === 3, { timeoutMs: 2000 })
  assert.deepEqual([...c.calls].sort(), ['a', 'a', 'b'])
  c.pending.get(c.calls[2] ?? '')?.resolve()
  await q.idle()
  q.stop()
})

test('a failed key is retried; a handler that finishes at once leaves the queue idle', async () => {
  let failures = 1
  const seen: string[] = []
  const q = new WorkQueue(4, 1, (k) => {
    seen.push(k)
    if (k === 'sync') return undefined
    if (failures-- > 0) return Promise.reject(new Error('write failed'))
    return Promise.resolve()
  })
  q.open()
  q.add('sync')
  q.add('flaky')
  await waitFor(() => seen.filter((k) => k === 'flaky').length === 2, { timeoutMs: 2000 })
  await q.idle()
  assert.equal(seen.filter((k) => k === 'sync').length, 1)
  q.stop()
})

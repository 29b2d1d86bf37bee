/**
 * KV blobs: one KVUpdate serialised once, stored by the cache and copied verbatim into every
 * Deltas frame and snapshot chunk that carries it.
 *
 * Layout: a msgpack array `[key: str, revision: str, value: map | nil]`; nil means deletion.
 * Decoders ignore extra trailing elements (room for optional fields, protocol.ts rule 2).
 */
import type { KVUpdate, Resource } from '@cattail/model'
import { ProtocolError } from '../errors.js'
import { packOwned, packTransient } from './msgpack.js'

/**
 * Serialises one update into a self-contained blob (a Buffer with its own memory).
 * `update.value === undefined` encodes a deletion.
 */
export function encodeKv(update: KVUpdate): Buffer {
  return packOwned([update.key, update.revision, update.value ?? null])
}

/**
 * Like {@link encodeKv}, but the result is a view into the encoder's shared buffer: valid only
 * until the next encode of any kind, so copy it first. For a store that copies every blob into
 * its own memory anyway (the cache's slabs), this saves a Buffer allocation per KV.
 */
export function encodeKvTransient(update: KVUpdate): Buffer {
  return packTransient([update.key, update.revision, update.value ?? null])
}

/**
 * Serialises many updates. Use this (or `updates.map((u) => encodeKv(u))`), never
 * `updates.map(encodeKv)`-style point-free calls into msgpackr's `pack` (deps.md §5 trap).
 */
export function encodeKvs(updates: readonly KVUpdate[]): Buffer[] {
  return updates.map((u) => encodeKv(u))
}

/**
 * Checks a decoded blob and turns it into a KVUpdate. `requireValue` rejects deletions (snapshots
 * never carry them). Values are checked only for the envelope every consumer relies on (`kind`
 * and `metadata.name` strings); unknown kinds pass through for the consumer to ignore.
 */
export function kvFromWire(v: unknown, requireValue: boolean): KVUpdate {
  if (!Array.isArray(v) || v.length < 3) throw badKv('expected [key, revision, value]')
  const [key, revision, value] = v as [unknown, unknown, unknown]
  if (typeof key !== 'string' || key === '') throw badKv('key must be a non-empty string')
  if (typeof revision !== 'string') throw badKv('revision must be a string')
  if (value === null || value === undefined) {
    if (requireValue) throw badKv(`snapshot entry ${key} has no value`)
    return { key, value: undefined, revision }
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw badKv(`value of ${key} is not a map`)
  const r = value as { kind?: unknown; metadata?: unknown }
  const meta = r.metadata as { name?: unknown } | null | undefined
  if (typeof r.kind !== 'string' || typeof meta !== 'object' || meta === null) {
    throw badKv(`value of ${key} lacks kind or metadata`)
  }
  if (typeof meta.name !== 'string') throw badKv(`value of ${key} lacks metadata.name`)
  return { key, value: value as Resource, revision }
}

const badKv = (msg: string): ProtocolError => new ProtocolError('bad-kv', `bad KV blob: ${msg}`)

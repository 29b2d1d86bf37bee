/**
 * Protobuf request bodies (`application/vnd.kubernetes.protobuf`), decoded to the JSON the rest of
 * the server works on. kubectl sends built-in kinds it creates imperatively (`create namespace`,
 * `create secret`, `create serviceaccount`, `create token`, `auth can-i`, …) as protobuf.
 *
 * Wire format: the 4 magic bytes `k8s\0`, then a `runtime.Unknown` message (1: typeMeta {1:
 * apiVersion, 2: kind}, 2: raw) whose `raw` is the object's own message from the Kubernetes
 * `generated.proto` files. Only the fields listed in the schemas below are decoded (a small
 * hand-written decoder of the protobuf wire format, no code generation); unknown fields are
 * skipped, as protobuf readers do. Responses stay JSON.
 */
import { ApiStatusError } from './status.js'

/** Media type kubectl uses for protobuf bodies. */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf'

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00])

type Scalar = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'intOrString'
type FieldType = Scalar | Schema | { readonly map: 'string' | 'bytes' }
interface Field {
  readonly name: string
  readonly type: FieldType
  readonly repeated?: boolean
}
/** Field number → field. */
type Schema = { readonly [n: number]: Field }

const f = (name: string, type: FieldType, repeated?: boolean): Field => ({
  name,
  type,
  ...(repeated === true && { repeated }),
})

const OBJECT_META: Schema = {
  1: f('name', 'string'),
  2: f('generateName', 'string'),
  3: f('namespace', 'string'),
  5: f('uid', 'string'),
  6: f('resourceVersion', 'string'),
  7: f('generation', 'int'),
  8: f('creationTimestamp', 'time'),
  11: f('labels', { map: 'string' }),
  12: f('annotations', { map: 'string' }),
  14: f('finalizers', 'string', true),
}
const OBJECT_REFERENCE: Schema = {
  1: f('kind', 'string'),
  2: f('namespace', 'string'),
  3: f('name', 'string'),
  4: f('uid', 'string'),
  5: f('apiVersion', 'string'),
  6: f('resourceVersion', 'string'),
}
const POLICY_RULE: Schema = {
  1: f('verbs', 'string', true),
  2: f('apiGroups', 'string', true),
  3: f('resources', 'string', true),
  4: f('resourceNames', 'string', true),
  5: f('nonResourceURLs', 'string', true),
}
const SUBJECT: Schema = {
  1: f('kind', 'string'),
  2: f('apiGroup', 'string'),
  3: f('name', 'string'),
  4: f('namespace', 'string'),
}
const ROLE_REF: Schema = {
  1: f('apiGroup', 'string'),
  2: f('kind', 'string'),
  3: f('name', 'string'),
}
const SERVICE_PORT: Schema = {
  1: f('name', 'string'),
  2: f('protocol', 'string'),
  3: f('port', 'int'),
  4: f('targetPort', 'intOrString'),
  5: f('nodePort', 'int'),
  6: f('appProtocol', 'string'),
}
const SERVICE_SPEC: Schema = {
  1: f('ports', SERVICE_PORT, true),
  2: f('selector', { map: 'string' }),
  3: f('clusterIP', 'string'),
  4: f('type', 'string'),
  5: f('externalIPs', 'string', true),
  7: f('sessionAffinity', 'string'),
  10: f('externalName', 'string'),
  11: f('externalTrafficPolicy', 'string'),
  13: f('publishNotReadyAddresses', 'bool'),
  17: f('ipFamilyPolicy', 'string'),
  18: f('clusterIPs', 'string', true),
  19: f('ipFamilies', 'string', true),
  22: f('internalTrafficPolicy', 'string'),
}
const RESOURCE_ATTRIBUTES: Schema = {
  1: f('namespace', 'string'),
  2: f('verb', 'string'),
  3: f('group', 'string'),
  4: f('version', 'string'),
  5: f('resource', 'string'),
  6: f('subresource', 'string'),
  7: f('name', 'string'),
}
const meta = f('metadata', OBJECT_META)

/** Kind → schema of its top-level message (v1 of each group). */
const KINDS: Readonly<Record<string, Schema>> = {
  Namespace: { 1: meta, 2: f('spec', { 1: f('finalizers', 'string', true) }) },
  Secret: {
    1: meta,
    2: f('data', { map: 'bytes' }),
    3: f('type', 'string'),
    4: f('stringData', { map: 'string' }),
    5: f('immutable', 'bool'),
  },
  ConfigMap: {
    1: meta,
    2: f('data', { map: 'string' }),
    3: f('binaryData', { map: 'bytes' }),
    4: f('immutable', 'bool'),
  },
  ServiceAccount: {
    1: meta,
    2: f('secrets', OBJECT_REFERENCE, true),
    3: f('automountServiceAccountToken', 'bool'),
  },
  Service: { 1: meta, 2: f('spec', SERVICE_SPEC) },
  TokenRequest: {
    1: meta,
    2: f('spec', {
      1: f('audiences', 'string', true),
      4: f('expirationSeconds', 'int'),
      3: f('boundObjectRef', {
        1: f('kind', 'string'),
        2: f('apiVersion', 'string'),
        3: f('name', 'string'),
        4: f('uid', 'string'),
      }),
    }),
  },
  SelfSubjectAccessReview: {
    1: meta,
    2: f('spec', {
      1: f('resourceAttributes', RESOURCE_ATTRIBUTES),
      2: f('nonResourceAttributes', { 1: f('path', 'string'), 2: f('verb', 'string') }),
    }),
  },
  Role: { 1: meta, 2: f('rules', POLICY_RULE, true) },
  ClusterRole: { 1: meta, 2: f('rules', POLICY_RULE, true) },
  RoleBinding: { 1: meta, 2: f('subjects', SUBJECT, true), 3: f('roleRef', ROLE_REF) },
  ClusterRoleBinding: { 1: meta, 2: f('subjects', SUBJECT, true), 3: f('roleRef', ROLE_REF) },
}

const UNKNOWN: Schema = {
  1: f('typeMeta', { 1: f('apiVersion', 'string'), 2: f('kind', 'string') }),
  2: f('raw', 'bytes'),
}

const malformed = (why: string): ApiStatusError =>
  new ApiStatusError(400, 'BadRequest', `could not decode the protobuf request body: ${why}`)

/** Decodes a `k8s\0`-framed protobuf body into a JSON object (apiVersion and kind set). */
export function decodeProtobufBody(buf: Buffer): Record<string, unknown> {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC))
    throw malformed('missing the k8s\\0 envelope prefix')
  const env = decodeMessage(buf.subarray(4), UNKNOWN, true)
  const tm = (env['typeMeta'] ?? {}) as { apiVersion?: string; kind?: string }
  const raw = env['raw']
  const kind = tm.kind ?? ''
  if (kind === '') throw malformed('the envelope names no kind')
  const schema = KINDS[kind]
  if (schema === undefined)
    throw new ApiStatusError(
      415,
      'UnsupportedMediaType',
      `the test API server cannot decode protobuf bodies of kind "${kind}"; send application/json`
    )
  if (!(raw instanceof Buffer)) throw malformed('the envelope carries no raw object')
  return { apiVersion: tm.apiVersion, kind, ...decodeMessage(raw, schema, false) }
}

/** A reader over one message's bytes. */
class Reader {
  pos = 0
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length
  }
  varint(): bigint {
    let v = 0n
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.buf[this.pos++]
      if (b === undefined) throw malformed('truncated varint')
      v |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return v
    }
    throw malformed('varint too long')
  }
  bytes(): Buffer {
    const len = Number(this.varint())
    if (this.pos + len > this.buf.length) throw malformed('truncated length-delimited field')
    const b = this.buf.subarray(this.pos, this.pos + len)
    this.pos += len
    return b
  }
  skip(wire: number): void {
    if (wire === 0) this.varint()
    else if (wire === 1) this.pos += 8
    else if (wire === 2) this.bytes()
    else if (wire === 5) this.pos += 4
    else throw malformed(`unsupported wire type ${wire}`)
  }
}

const toInt = (v: bigint): number => Number(BigInt.asIntN(64, v))

function decodeMessage(buf: Buffer, schema: Schema, keepBytes: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const r = new Reader(buf)
  while (!r.done) {
    const tag = Number(r.varint())
    const num = tag >>> 3
    const wire = tag & 7
    const field = schema[num]
    if (field === undefined) {
      r.skip(wire)
      continue
    }
    const value = decodeValue(r, wire, field.type, keepBytes)
    // Go's proto2 marshalling writes empty strings and zero numbers that JSON (omitempty) omits.
    if (value === undefined || value === '' || value === 0) continue
    if (typeof field.type === 'object' && 'map' in field.type) {
      const [k, v] = value as [string, unknown]
      const m = (out[field.name] ?? {}) as Record<string, unknown>
      m[k] = v
      out[field.name] = m
    } else if (field.repeated === true) {
      const a = (out[field.name] ?? []) as unknown[]
      a.push(value)
      out[field.name] = a
    } else out[field.name] = value
  }
  return out
}

function decodeValue(r: Reader, wire: number, type: FieldType, keepBytes: boolean): unknown {
  const want = (w: number): void => {
    if (wire !== w) throw malformed(`wire type ${wire} where ${w} was expected`)
  }
  if (type === 'int' || type === 'bool') {
    want(0)
    const v = r.varint()
    return type === 'bool' ? v !== 0n : toInt(v)
  }
  want(2)
  const b = r.bytes()
  switch (type) {
    case 'string':
      return b.toString('utf8')
    case 'bytes':
      return keepBytes ? Buffer.from(b) : b.toString('base64')
    case 'time': {
      const t = decodeMessage(b, { 1: f('seconds', 'int'), 2: f('nanos', 'int') }, false)
      const s = (t['seconds'] as number | undefined) ?? 0
      return s === 0 ? undefined : new Date(s * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
    }
    case 'intOrString': {
      const v = decodeMessage(
        b,
        { 1: f('type', 'int'), 2: f('intVal', 'int'), 3: f('strVal', 'string') },
        false
      )
      return v['type'] === 1 ? (v['strVal'] ?? '') : (v['intVal'] ?? 0)
    }
    default:
      break
  }
  if ('map' in type) {
    const e = decodeMessage(b, { 1: f('key', 'string'), 2: f('value', type.map) }, false)
    return [e['key'] ?? '', e['value'] ?? '']
  }
  return decodeMessage(b, type, keepBytes)
}

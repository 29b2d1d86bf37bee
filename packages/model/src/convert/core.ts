/**
 * Kubernetes Service, Endpoints and Secret → the model's types. Services and Endpoints keep their
 * labels and annotations (the federation controller selects on both); Secret data is base64-decoded
 * to utf-8 strings, with `stringData` (never stored by a real API server, but common in manifests)
 * taking precedence.
 */
import type { EndpointAddress, Endpoints, Secret, Service, ServicePort } from '../resources.js'
import {
  arr,
  fail,
  obj,
  oneOf,
  optIp,
  optNum,
  optObj,
  optStr,
  optStringMap,
  show,
} from '../validate/fields.js'
import { readMeta } from '../validate/meta.js'

type Json = Readonly<Record<string, unknown>>

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const

function servicePort(v: unknown, f: string): ServicePort {
  const p = obj(v, f)
  const name = optStr(p['name'], `${f}.name`)
  const tp = p['targetPort']
  const targetPort =
    typeof tp === 'number'
      ? optNum(tp, `${f}.targetPort`, { integer: true, min: 1, max: 65535 })
      : optStr(tp, `${f}.targetPort`)
  return {
    ...(name !== undefined && { name }),
    protocol: oneOf(p['protocol'], `${f}.protocol`, PROTOCOLS, 'TCP'),
    port:
      optNum(p['port'], `${f}.port`, { integer: true, min: 1, max: 65535 }) ??
      fail(`${f}.port`, 'is required'),
    ...(targetPort !== undefined && { targetPort }),
  }
}

/** Service (untrusted JSON) → Service; throws FieldProblem when invalid. */
export function kubeServiceToService(svc: Json): Service {
  const meta = readMeta(svc['metadata'], {
    namespaced: true,
    keepAnnotations: true,
    strictName: true,
  })
  const s = obj(svc['spec'], 'spec')
  const selector = optStringMap(s['selector'], 'spec.selector')
  const ports = arr(s['ports'], 'spec.ports', servicePort)
  const clusterIP = optStr(s['clusterIP'], 'spec.clusterIP')
  const type = optStr(s['type'], 'spec.type')
  return {
    kind: 'Service',
    metadata: meta,
    spec: {
      ...(selector !== undefined && Object.keys(selector).length > 0 && { selector }),
      ...(ports.length > 0 && { ports }),
      ...(clusterIP !== undefined && { clusterIP }),
      ...(type !== undefined && { type }),
    },
  }
}

function address(v: unknown, f: string): EndpointAddress {
  const a = obj(v, f)
  const ip = optIp(a['ip'], `${f}.ip`) ?? fail(`${f}.ip`, 'is required')
  const hostname = optStr(a['hostname'], `${f}.hostname`)
  const nodeName = optStr(a['nodeName'], `${f}.nodeName`)
  const tr = optObj(a['targetRef'], `${f}.targetRef`)
  const ref = tr && {
    ...pick(tr, 'kind', `${f}.targetRef`),
    ...pick(tr, 'name', `${f}.targetRef`),
    ...pick(tr, 'namespace', `${f}.targetRef`),
    ...pick(tr, 'uid', `${f}.targetRef`),
  }
  return {
    ip,
    ...(hostname !== undefined && { hostname }),
    ...(nodeName !== undefined && { nodeName }),
    ...(ref !== undefined && { targetRef: ref }),
  }
}

function pick(o: Json, k: string, f: string): Record<string, string> {
  const v = optStr(o[k], `${f}.${k}`)
  return v === undefined ? {} : { [k]: v }
}

/** Endpoints (untrusted JSON) → Endpoints; throws FieldProblem when invalid. */
export function kubeEndpointsToEndpoints(ep: Json): Endpoints {
  const meta = readMeta(ep['metadata'], {
    namespaced: true,
    keepAnnotations: true,
    strictName: true,
  })
  const subsets = arr(ep['subsets'], 'subsets', (v, f) => {
    const s = obj(v, f)
    const addresses = arr(s['addresses'], `${f}.addresses`, address)
    const notReadyAddresses = arr(s['notReadyAddresses'], `${f}.notReadyAddresses`, address)
    const ports = arr(s['ports'], `${f}.ports`, (pv, pf) => {
      const p = obj(pv, pf)
      const name = optStr(p['name'], `${pf}.name`)
      const protocol = oneOf(p['protocol'], `${pf}.protocol`, PROTOCOLS, 'TCP')
      const port =
        optNum(p['port'], `${pf}.port`, { integer: true, min: 1, max: 65535 }) ??
        fail(`${pf}.port`, 'is required')
      return { ...(name !== undefined && { name }), port, protocol }
    })
    return {
      ...(addresses.length > 0 && { addresses }),
      ...(notReadyAddresses.length > 0 && { notReadyAddresses }),
      ...(ports.length > 0 && { ports }),
    }
  })
  return { kind: 'Endpoints', metadata: meta, spec: { subsets } }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Secret (untrusted JSON) → Secret with decoded data; throws FieldProblem when invalid. */
export function kubeSecretToSecret(secret: Json): Secret {
  const meta = readMeta(secret['metadata'], { namespaced: true, strictName: true })
  const data: Record<string, string> = {}
  for (const [k, v] of Object.entries(optStringMap(secret['data'], 'data') ?? {})) {
    const compact = v.replace(/\s+/g, '')
    if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
      fail(`data.${k}`, `is not valid base64 (${show(v)})`)
    }
    data[k] = Buffer.from(compact, 'base64').toString('utf8')
  }
  Object.assign(data, optStringMap(secret['stringData'], 'stringData') ?? {})
  return { kind: 'Secret', metadata: meta, spec: { data } }
}

/**
 * Pod → WorkloadEndpoint, as Calico's Kubernetes datastore does it (libcalico-go
 * `conversion.PodToWorkloadEndpoints`).
 *
 * A pod yields no endpoint when it runs on the host network, is not scheduled, has finished
 * (Succeeded/Failed) or has no IP yet. IPs come from Calico CNI's annotations
 * `cni.projectcalico.org/podIPs` / `podIP` first (they are set before the kubelet reports status),
 * then from `status.podIPs` / `status.podIP`.
 */
import type { EndpointPort, WorkloadEndpoint } from '../resources.js'
import { arr, fail, obj, optBool, optNum, optStr, show, str } from '../validate/fields.js'
import { readMeta } from '../validate/meta.js'
import { toCidr } from '../validate/net.js'
import {
  LABEL_NAMESPACE,
  LABEL_ORCHESTRATOR,
  LABEL_SERVICE_ACCOUNT,
  ORCHESTRATOR_K8S,
  namespaceProfileName,
  serviceAccountProfileName,
  vethNameForPod,
  workloadEndpointName,
} from './names.js'

/** Annotation Calico CNI writes with the pod's IPs (comma-separated CIDRs). */
export const ANNOTATION_POD_IPS = 'cni.projectcalico.org/podIPs'
/** Annotation Calico CNI writes with the pod's first IP. */
export const ANNOTATION_POD_IP = 'cni.projectcalico.org/podIP'
/** Annotation Calico CNI writes with the sandbox container id. */
export const ANNOTATION_CONTAINER_ID = 'cni.projectcalico.org/containerID'

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const

function podIPs(pod: Readonly<Record<string, unknown>>): string[] {
  const m = obj(pod['metadata'], 'metadata')
  const ann = obj(m['annotations'], 'metadata.annotations')
  const fromAnnotation = (key: string): string[] | undefined => {
    const v = optStr(ann[key], `metadata.annotations[${JSON.stringify(key)}]`)
    if (v === undefined) return undefined
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => {
        const c = toCidr(s)
        if (c === undefined)
          fail(
            `metadata.annotations[${JSON.stringify(key)}]`,
            `${show(s)} is not a valid IP address`
          )
        return c
      })
  }
  const annotated = fromAnnotation(ANNOTATION_POD_IPS) ?? fromAnnotation(ANNOTATION_POD_IP)
  if (annotated !== undefined && annotated.length > 0) return annotated
  const status = obj(pod['status'], 'status')
  const list = arr(status['podIPs'], 'status.podIPs', (x, f) =>
    optStr(obj(x, f)['ip'], `${f}.ip`)
  ).filter((s): s is string => s !== undefined)
  const single = optStr(status['podIP'], 'status.podIP')
  const ips = list.length > 0 ? list : single !== undefined ? [single] : []
  return ips.map((s, i) => {
    const c = s.includes('/') ? undefined : toCidr(s)
    if (c === undefined)
      fail(
        list.length > 0 ? `status.podIPs[${i}].ip` : 'status.podIP',
        `${show(s)} is not a valid IP address`
      )
    return c
  })
}

function containerPorts(spec: Readonly<Record<string, unknown>>): EndpointPort[] {
  const out: EndpointPort[] = []
  arr(spec['containers'], 'spec.containers', (c, cf) => {
    arr(obj(c, cf)['ports'], `${cf}.ports`, (p, pf) => {
      const po = obj(p, pf)
      const name = optStr(po['name'], `${pf}.name`)
      const port = optNum(po['containerPort'], `${pf}.containerPort`, {
        integer: true,
        min: 1,
        max: 65535,
      })
      const protoRaw = optStr(po['protocol'], `${pf}.protocol`) ?? 'TCP'
      if (!(PROTOCOLS as readonly string[]).includes(protoRaw)) {
        fail(`${pf}.protocol`, `must be one of ${PROTOCOLS.join(', ')}, got ${show(protoRaw)}`)
      }
      // Only named ports matter to policy (named-port matches); Calico keeps the same subset.
      if (name !== undefined && port !== undefined) {
        out.push({ name, protocol: protoRaw as EndpointPort['protocol'], port })
      }
    })
  })
  return out
}

/** Converts a Pod (untrusted JSON) to zero or one WorkloadEndpoint; throws FieldProblem when invalid. */
export function podToWorkloadEndpoints(pod: Readonly<Record<string, unknown>>): WorkloadEndpoint[] {
  const meta = readMeta(pod['metadata'], { namespaced: true })
  const ns = meta.namespace ?? 'default'
  const spec = obj(pod['spec'], 'spec')
  const status = obj(pod['status'], 'status')
  if (optBool(spec['hostNetwork'], 'spec.hostNetwork') === true) return []
  const node = optStr(spec['nodeName'], 'spec.nodeName')
  if (node === undefined) return []
  const phase = optStr(status['phase'], 'status.phase')
  if (phase === 'Succeeded' || phase === 'Failed') return []
  const ipNetworks = podIPs(pod)
  if (ipNetworks.length === 0) return []
  const sa = optStr(spec['serviceAccountName'], 'spec.serviceAccountName')
  const annotations = obj(obj(pod['metadata'], 'metadata')['annotations'], 'metadata.annotations')
  const containerID = optStr(
    annotations[ANNOTATION_CONTAINER_ID],
    `metadata.annotations[${JSON.stringify(ANNOTATION_CONTAINER_ID)}]`
  )
  const ports = containerPorts(spec)
  const labels: Record<string, string> = {
    ...meta.labels,
    [LABEL_NAMESPACE]: ns,
    [LABEL_ORCHESTRATOR]: ORCHESTRATOR_K8S,
    ...(sa !== undefined && { [LABEL_SERVICE_ACCOUNT]: sa }),
  }
  const wep: WorkloadEndpoint = {
    kind: 'WorkloadEndpoint',
    metadata: {
      name: workloadEndpointName({ node, pod: meta.name }),
      namespace: ns,
      ...(meta.uid !== undefined && { uid: meta.uid }),
      ...(meta.resourceVersion !== undefined && { resourceVersion: meta.resourceVersion }),
      ...(meta.creationTimestamp !== undefined && { creationTimestamp: meta.creationTimestamp }),
      labels,
    },
    spec: {
      orchestrator: ORCHESTRATOR_K8S,
      node: str(node, 'spec.nodeName'),
      ...(containerID !== undefined && { containerID }),
      pod: meta.name,
      endpoint: 'eth0',
      ...(sa !== undefined && { serviceAccountName: sa }),
      ipNetworks,
      profiles: [
        namespaceProfileName(ns),
        ...(sa !== undefined ? [serviceAccountProfileName(ns, sa)] : []),
      ],
      interfaceName: vethNameForPod(ns, meta.name),
      ...(ports.length > 0 && { ports }),
    },
  }
  return [wep]
}

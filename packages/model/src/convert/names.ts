/**
 * Names Calico derives in a Kubernetes datastore (libcalico-go `names` and the KDD converters), so
 * that the same object gets the same key whichever driver produced it.
 */
import { createHash } from 'node:crypto'

/** Label set on every converted workload endpoint: the pod's namespace. */
export const LABEL_NAMESPACE = 'projectcalico.org/namespace'
/** Label set on every converted workload endpoint: `k8s`. */
export const LABEL_ORCHESTRATOR = 'projectcalico.org/orchestrator'
/** Label set on converted workload endpoints with a service account. */
export const LABEL_SERVICE_ACCOUNT = 'projectcalico.org/serviceaccount'
/** Label carrying a namespace's or service account's own name in profile labels. */
export const LABEL_NAME = 'projectcalico.org/name'
/** Prefix of namespace profile names (`kns.<ns>`). */
export const NAMESPACE_PROFILE_PREFIX = 'kns.'
/** Prefix of service-account profile names (`ksa.<ns>.<sa>`). */
export const SERVICE_ACCOUNT_PROFILE_PREFIX = 'ksa.'
/** Prefix of namespace labels applied through profiles (`pcns.<key>`). */
export const NAMESPACE_LABEL_PREFIX = 'pcns.'
/** Prefix of service-account labels applied through profiles (`pcsa.<key>`). */
export const SERVICE_ACCOUNT_LABEL_PREFIX = 'pcsa.'
/** Prefix of Calico policies converted from Kubernetes NetworkPolicies. */
export const KNP_PREFIX = 'knp.default.'
/** Orchestrator name of Kubernetes workloads. */
export const ORCHESTRATOR_K8S = 'k8s'

/** Calico escapes `-` as `--` in each part of a workload endpoint name. */
const escapeDashes = (s: string): string => s.replaceAll('-', '--')

/**
 * Calico's workload endpoint name: `<node>-<orchestrator>-<pod>-<endpoint>` with every `-` inside a
 * part doubled, e.g. node `node-1`, pod `web-0` → `node--1-k8s-web--0-eth0`.
 */
export function workloadEndpointName(ids: {
  readonly node: string
  readonly pod: string
  readonly orchestrator?: string
  readonly endpoint?: string
}): string {
  return [ids.node, ids.orchestrator ?? ORCHESTRATOR_K8S, ids.pod, ids.endpoint ?? 'eth0']
    .map(escapeDashes)
    .join('-')
}

/** Calico CNI's host-side veth name: `cali` + first 11 hex chars of sha1(`<ns>.<pod>`). */
export function vethNameForPod(namespace: string, pod: string): string {
  return `cali${createHash('sha1').update(`${namespace}.${pod}`).digest('hex').slice(0, 11)}`
}

/** Profile name of a namespace: `kns.<ns>`. */
export const namespaceProfileName = (ns: string): string => `${NAMESPACE_PROFILE_PREFIX}${ns}`

/** Profile name of a service account: `ksa.<ns>.<sa>`. */
export const serviceAccountProfileName = (ns: string, sa: string): string =>
  `${SERVICE_ACCOUNT_PROFILE_PREFIX}${ns}.${sa}`

/** Name of the Calico policy converted from Kubernetes NetworkPolicy `name`. */
export const knpPolicyName = (name: string): string => `${KNP_PREFIX}${name}`

/**
 * Name of an IPAM block object, as in a Kubernetes datastore: the CIDR with `.`, `:` and `/`
 * replaced by `-` (`10.0.0.0/26` → `10-0-0-0-26`). The etcd driver uses it too, so block keys agree.
 */
export const ipamBlockName = (cidr: string): string => cidr.replace(/[.:/]/g, '-')

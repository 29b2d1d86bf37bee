/**
 * Kubernetes Node → Calico Node, from the annotations calico-node writes in a Kubernetes
 * datastore (libcalico-go `k8s/resources/node.go`): host addresses and the VXLAN tunnel address
 * and MAC per family. A node without annotations still converts (its VTEP is just incomplete).
 */
import type { CalicoNode } from '../resources.js'
import { obj, optIp, optIpMaybeCidr, optMac } from '../validate/fields.js'
import { readMeta } from '../validate/meta.js'

/** The node annotations Calico reads, by the Node spec field they fill. */
export const NODE_ANNOTATIONS = {
  ipv4Address: 'projectcalico.org/IPv4Address',
  ipv6Address: 'projectcalico.org/IPv6Address',
  ipv4VXLANTunnelAddr: 'projectcalico.org/IPv4VXLANTunnelAddr',
  ipv6VXLANTunnelAddr: 'projectcalico.org/IPv6VXLANTunnelAddr',
  vxlanTunnelMACAddr: 'projectcalico.org/VXLANTunnelMACAddr',
  vxlanTunnelMACAddrV6: 'projectcalico.org/VXLANTunnelMACAddrV6',
} as const

/** Kubernetes Node (untrusted JSON) → Calico Node; throws FieldProblem when invalid. */
export function kubeNodeToCalicoNode(node: Readonly<Record<string, unknown>>): CalicoNode {
  const meta = readMeta(node['metadata'], { namespaced: false, strictName: true })
  const ann = obj(obj(node['metadata'], 'metadata')['annotations'], 'metadata.annotations')
  const f = (k: keyof typeof NODE_ANNOTATIONS): [unknown, string] => [
    ann[NODE_ANNOTATIONS[k]],
    `metadata.annotations[${JSON.stringify(NODE_ANNOTATIONS[k])}]`,
  ]
  const ipv4Address = optIpMaybeCidr(...f('ipv4Address'))
  const ipv6Address = optIpMaybeCidr(...f('ipv6Address'))
  const ipv4VXLANTunnelAddr = optIp(...f('ipv4VXLANTunnelAddr'))
  const ipv6VXLANTunnelAddr = optIp(...f('ipv6VXLANTunnelAddr'))
  const vxlanTunnelMACAddr = optMac(...f('vxlanTunnelMACAddr'))
  const vxlanTunnelMACAddrV6 = optMac(...f('vxlanTunnelMACAddrV6'))
  const bgp = {
    ...(ipv4Address !== undefined && { ipv4Address }),
    ...(ipv6Address !== undefined && { ipv6Address }),
  }
  return {
    kind: 'Node',
    metadata: meta,
    spec: {
      ...(Object.keys(bgp).length > 0 && { bgp }),
      ...(ipv4VXLANTunnelAddr !== undefined && { ipv4VXLANTunnelAddr }),
      ...(vxlanTunnelMACAddr !== undefined && { vxlanTunnelMACAddr }),
      ...(ipv6VXLANTunnelAddr !== undefined && { ipv6VXLANTunnelAddr }),
      ...(vxlanTunnelMACAddrV6 !== undefined && { vxlanTunnelMACAddrV6 }),
    },
  }
}

/**
 * The VXLAN device: find the parent (the interface holding the node IP), then create, fix or
 * recreate our device so that it matches: VNI, UDP port, local address = node IP, parent, learning
 * off (these five can only change by recreating the device), then MAC, MTU, the tunnel IP as the
 * only IPv4 address (/32), and admin up. Every step compares first and changes nothing when equal,
 * so a restart with unchanged state issues no kernel change at all.
 *
 * Device changes are rare, so they go through plain `ip` commands (≈3 ms each) instead of netlink.
 */
import type { Logger } from '@cattail/common'
import type { Vtep } from '../../calc/types.js'
import { DataplaneNotReadyError } from '../../errors.js'
import { VXLAN_MTU_OVERHEAD_BYTES, type VxlanDataplaneConfig } from '../types.js'
import type { Iproute2 } from './iproute2.js'

interface LinkJson {
  readonly ifindex: number
  readonly ifname: string
  readonly mtu: number
  readonly address?: string
  readonly flags?: readonly string[]
  readonly linkinfo?: {
    readonly info_kind?: string
    readonly info_data?: {
      readonly id?: number
      readonly local?: string
      readonly link?: string
      readonly port?: number
      readonly learning?: boolean
    }
  }
  readonly addr_info?: readonly {
    readonly family: string
    readonly local: string
    readonly prefixlen: number
  }[]
}

/** What {@link ensureVxlanDevice} found or made. */
export interface DeviceInfo {
  readonly ifindex: number
  readonly parentName: string
  readonly parentIndex: number
  readonly mtu: number
  /** True when the device was (re)created: every FDB/ARP/route on it is gone. */
  readonly created: boolean
  /** Number of kernel changes made. */
  readonly changes: number
}

/** Makes our VXLAN device match `local` (this node's VTEP). */
export async function ensureVxlanDevice(
  ip: Iproute2,
  cfg: VxlanDataplaneConfig,
  local: Vtep,
  log: Logger,
  signal?: AbortSignal
): Promise<DeviceInfo> {
  const [links, addrs] = await Promise.all([
    ip.json<LinkJson>('ip', ['-d', 'link', 'show'], signal),
    ip.json<LinkJson>('ip', ['-4', 'addr', 'show'], signal),
  ])
  const parentAddr = addrs.find(
    (l) =>
      l.ifname !== cfg.deviceName &&
      (l.addr_info ?? []).some((a) => a.family === 'inet' && a.local === local.nodeIp)
  )
  if (parentAddr === undefined)
    throw new DataplaneNotReadyError(`no interface holds node IP ${local.nodeIp}`)
  const parent = links.find((l) => l.ifindex === parentAddr.ifindex)
  if (parent === undefined)
    throw new DataplaneNotReadyError(`parent interface ${parentAddr.ifname} vanished`)
  const mtu = cfg.mtu > 0 ? cfg.mtu : parent.mtu - VXLAN_MTU_OVERHEAD_BYTES
  let changes = 0
  const dev = cfg.deviceName
  let link = links.find((l) => l.ifname === dev)
  const d = link?.linkinfo?.info_data
  const drift =
    link === undefined
      ? 'missing'
      : link.linkinfo?.info_kind !== 'vxlan'
        ? 'kind'
        : d?.id !== cfg.vni
          ? 'vni'
          : d.port !== cfg.port
            ? 'port'
            : d.local !== local.nodeIp
              ? 'local'
              : d.link !== parent.ifname
                ? 'parent'
                : d.learning !== false
                  ? 'learning'
                  : undefined
  let created = false
  if (drift !== undefined) {
    if (link !== undefined) {
      log.warn({ iface: dev, drift }, 'vxlan device drifted; recreating')
      await ip.run('ip', ['link', 'del', dev], undefined, signal)
      changes++
    } else {
      log.info({ iface: dev, parent: parent.ifname }, 'creating vxlan device')
    }
    await ip.run(
      'ip',
      [
        'link',
        'add',
        dev,
        'mtu',
        String(mtu),
        'address',
        local.mac,
        'up', // link options go before `type`: what follows belongs to the vxlan parser
        'type',
        'vxlan',
        'id',
        String(cfg.vni),
        'local',
        local.nodeIp,
        'dev',
        parent.ifname,
        'dstport',
        String(cfg.port),
        'nolearning',
      ],
      undefined,
      signal
    )
    changes++
    created = true
    // Made with its MAC, MTU and up: only the address is left, which needs no link details.
    const [fresh] = await Promise.all([
      ip.json<LinkJson>('ip', ['-d', 'link', 'show', 'dev', dev], signal),
      ip.run('ip', ['addr', 'add', `${local.tunnelIp}/32`, 'dev', dev], undefined, signal),
    ])
    changes++
    link = fresh[0]
  }
  if (link === undefined) throw new DataplaneNotReadyError(`${dev} vanished after creation`)
  const set: string[] = []
  if (link.address?.toLowerCase() !== local.mac) set.push('address', local.mac)
  if (link.mtu !== mtu) set.push('mtu', String(mtu))
  if (!(link.flags ?? []).includes('UP')) set.push('up')
  if (set.length > 0) {
    await ip.run('ip', ['link', 'set', 'dev', dev, ...set], undefined, signal)
    changes++
  }
  // Exactly one IPv4 address: the tunnel IP as /32 (a created device got it above).
  const mine = created
    ? []
    : (addrs.find((l) => l.ifname === dev)?.addr_info ?? []).filter((a) => a.family === 'inet')
  let have = created
  for (const a of mine) {
    if (a.local === local.tunnelIp && a.prefixlen === 32) have = true
    else {
      await ip.run(
        'ip',
        ['addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', dev],
        undefined,
        signal
      )
      changes++
    }
  }
  if (!have) {
    await ip.run('ip', ['addr', 'add', `${local.tunnelIp}/32`, 'dev', dev], undefined, signal)
    changes++
  }
  return {
    ifindex: link.ifindex,
    parentName: parent.ifname,
    parentIndex: parent.ifindex,
    mtu,
    created,
    changes,
  }
}

/** Deletes our device if it exists (VXLAN disabled, or tests). */
export async function deleteVxlanDevice(
  ip: Iproute2,
  deviceName: string,
  signal?: AbortSignal
): Promise<boolean> {
  const links = await ip.json<LinkJson>('ip', ['link', 'show'], signal)
  if (!links.some((l) => l.ifname === deviceName)) return false
  await ip.run('ip', ['link', 'del', deviceName], undefined, signal)
  return true
}

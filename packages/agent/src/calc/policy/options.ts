/**
 * The one typed config of the policy calc, with Felix's defaults (felix-dataplane.md §2.2: mark
 * bits handed out from the default mask `0xffff0000`; VXLAN port 4789; workload prefix `cali`).
 */

/** Mark bits the rendered rules use (Felix's `MarkBitsManager` order). */
export interface PolicyMarks {
  /** Policy or profile said allow. @default 0x10000 */
  readonly accept: number
  /** A Pass rule: skip the rest of the tier. @default 0x20000 */
  readonly pass: number
  /** Set before a deny's DROP. @default 0x40000 */
  readonly drop: number
  /** OR-block scratch bit 0. @default 0x80000 */
  readonly scratch0: number
  /** OR-block scratch bit 1. @default 0x100000 */
  readonly scratch1: number
}

/** Settings of {@link createPolicyCalc}. */
export interface PolicyCalcOptions {
  /** This node's name: local workload endpoints whose `spec.node` equals it get chains. */
  readonly nodeName: string
  /** Mark bits. @default Felix's defaults */
  readonly marks?: Partial<PolicyMarks>
  /** VXLAN UDP port (allow-list in cali-INPUT; workload-originated VXLAN drop). @default 4789 */
  readonly vxlanPort?: number
  /** Workload interface prefix. @default 'cali' */
  readonly workloadInterfacePrefix?: string
  /** Prefix of Log rules. @default 'calico-packet' */
  readonly logPrefix?: string
  /** What happens to workload → host traffic after egress policy. @default 'DROP' */
  readonly defaultEndpointToHostAction?: 'DROP' | 'ACCEPT' | 'RETURN'
  /** Order of the `default` tier when no Tier resource names it (Calico's value). @default 1000000 */
  readonly defaultTierOrder?: number
}

/** {@link PolicyCalcOptions} with every default filled in. */
export interface ResolvedPolicyOptions {
  readonly nodeName: string
  readonly marks: PolicyMarks
  readonly vxlanPort: number
  readonly workloadInterfacePrefix: string
  readonly logPrefix: string
  readonly defaultEndpointToHostAction: 'DROP' | 'ACCEPT' | 'RETURN'
  readonly defaultTierOrder: number
}

/** Felix's default mark bits. */
export const DEFAULT_MARKS: PolicyMarks = {
  accept: 0x10000,
  pass: 0x20000,
  drop: 0x40000,
  scratch0: 0x80000,
  scratch1: 0x100000,
}

/** Fills in the defaults. */
export function resolvePolicyOptions(o: PolicyCalcOptions): ResolvedPolicyOptions {
  return {
    nodeName: o.nodeName,
    marks: { ...DEFAULT_MARKS, ...o.marks },
    vxlanPort: o.vxlanPort ?? 4789,
    workloadInterfacePrefix: o.workloadInterfacePrefix ?? 'cali',
    logPrefix: o.logPrefix ?? 'calico-packet',
    defaultEndpointToHostAction: o.defaultEndpointToHostAction ?? 'DROP',
    defaultTierOrder: o.defaultTierOrder ?? 1_000_000,
  }
}

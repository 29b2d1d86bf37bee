/**
 * The agent's pure calculation: VTEPs, FDB/ARP, routes and NAT sets from nodes, IP pools and IPAM
 * blocks. No I/O, no timers, no clock (eslint enforces it).
 */
export * from './types.js'
export * from './ip.js'
export * from './mac.js'
export * from './vtep-calc.js'
export * from './route-calc.js'
export * from './nat-calc.js'
export * from './vxlan-calc.js'
export * from './vxlan-patch.js'
export * from './policy/index.js'

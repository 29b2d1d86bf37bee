/** Every option of `cattail agent`: flag, env var, default and help text, in help order. */
import { LOG_LEVELS, httpEndpointOptions, logLevelOption, type OptionSpec } from '@cattail/common'
import { DEFAULT_VXLAN_DATAPLANE_CONFIG } from './dataplane/types.js'
import { DEFAULT_AGENT_CONFIG, DEFAULT_CACHE_PORT_NAME } from './config-types.js'
import { DEFAULT_POLICY_DATAPLANE_CONFIG } from './dataplane/policy/config.js'

const D = DEFAULT_AGENT_CONFIG
const V = DEFAULT_VXLAN_DATAPLANE_CONFIG
const P = DEFAULT_POLICY_DATAPLANE_CONFIG

/** Every option of `cattail agent`, in help order. */
export const AGENT_OPTIONS: readonly OptionSpec[] = [
  logLevelOption(D.logLevel, LOG_LEVELS),
  {
    key: 'nodeName',
    flag: '--node-name <name>',
    kind: 'string',
    help: "this node's name (required; falls back to $NODENAME)",
  },
  {
    key: 'cacheAddresses',
    flag: '--cache-addresses <urls>',
    kind: 'list',
    help: 'comma-separated cache URLs (ws://host:5473 or wss://…)',
  },
  {
    key: 'cacheService',
    flag: '--cache-service <namespace/name>',
    kind: 'string',
    help: "discover caches from this Service's EndpointSlices (ready endpoints, same node first)",
  },
  {
    key: 'cachePortName',
    flag: '--cache-port-name <name>',
    kind: 'string',
    help: 'name of the cache port in --cache-service (else its only port)',
    default: DEFAULT_CACHE_PORT_NAME,
  },
  {
    key: 'kubeconfig',
    flag: '--kubeconfig <path>',
    kind: 'string',
    help: 'kubeconfig for --cache-service (default: in-cluster service account)',
  },
  {
    key: 'tlsCaFile',
    flag: '--tls-ca-file <file>',
    kind: 'string',
    help: 'CA bundle that signs the cache certificate (mutual TLS)',
  },
  {
    key: 'tlsCertFile',
    flag: '--tls-cert-file <file>',
    kind: 'string',
    help: 'client certificate presented to the cache',
  },
  { key: 'tlsKeyFile', flag: '--tls-key-file <file>', kind: 'string', help: 'client private key' },
  {
    key: 'tlsServerName',
    flag: '--tls-server-name <name>',
    kind: 'string',
    help: 'host name to verify instead of the address host',
  },
  {
    key: 'tlsServerCn',
    flag: '--tls-server-cn <cn>',
    kind: 'string',
    help: 'required CN of the cache certificate',
  },
  {
    key: 'tlsServerUriSan',
    flag: '--tls-server-uri-san <uri>',
    kind: 'string',
    help: 'required URI SAN of the cache certificate',
  },
  {
    key: 'vxlanDevice',
    flag: '--vxlan-device <name>',
    kind: 'string',
    help: 'name of the VXLAN device',
    default: V.deviceName,
  },
  {
    key: 'vxlanVni',
    flag: '--vxlan-vni <vni>',
    kind: 'int',
    help: 'VXLAN network identifier',
    default: String(V.vni),
  },
  {
    key: 'vxlanPort',
    flag: '--vxlan-port <port>',
    kind: 'int',
    help: 'VXLAN UDP port',
    default: String(V.port),
  },
  {
    key: 'vxlanMtu',
    flag: '--vxlan-mtu <bytes>',
    kind: 'int',
    help: 'VXLAN device MTU (0 = parent MTU - 50)',
    default: String(V.mtu),
  },
  {
    key: 'routeProtocol',
    flag: '--route-protocol <n>',
    kind: 'int',
    help: 'route protocol number marking our routes (1-255)',
    default: String(V.routeProtocol),
  },
  {
    key: 'resyncIntervalMs',
    flag: '--resync-interval-ms <ms>',
    kind: 'int',
    help: 'full dataplane resync period (0 = only at start and after errors)',
    default: String(D.resyncIntervalMs),
  },
  {
    key: 'commandTimeoutMs',
    flag: '--command-timeout-ms <ms>',
    kind: 'int',
    help: 'deadline of every child process (ip, bridge, iptables-restore, ipset; batches +1 ms per line; iptables-restore at least its lock wait + 5 s); killed past it (0 = none)',
    default: String(D.commandTimeoutMs),
  },
  {
    key: 'watchdogTimeoutMs',
    flag: '--watchdog-timeout-ms <ms>',
    kind: 'int',
    help: '/liveness fails while one dataplane apply runs longer than this (0 = never)',
    default: String(D.watchdogTimeoutMs),
  },
  {
    key: 'hostProcDir',
    flag: '--host-proc-dir <dir>',
    kind: 'string',
    help: "the host's /proc (mounted into the pod), scanned at start for a running Felix",
    default: D.hostProcDir,
  },
  {
    key: 'netlink',
    flag: '--netlink <bool>',
    kind: 'bool',
    help: 'use netlink for change sets, pipelined (false = iproute2 batches only)',
    default: String(V.useNetlink),
  },
  {
    key: 'dryRun',
    flag: '--dry-run <bool>',
    kind: 'bool',
    help: 'log the kernel changes (ip/bridge commands) instead of making them',
    default: 'false',
  },
  {
    key: 'netlinkMaxOps',
    flag: '--netlink-max-ops <n>',
    kind: 'int',
    help: 'larger change sets go through ip/bridge -batch (0 = always)',
    default: String(V.netlinkMaxOps),
  },
  {
    key: 'policy',
    flag: '--policy <bool>',
    kind: 'bool',
    help: 'program network policy (iptables, ipsets, workload routes) in place of Felix',
    default: String(P.enabled),
  },
  {
    key: 'iptablesBackend',
    flag: '--iptables-backend <mode>',
    kind: 'string',
    help: 'iptables backend: auto (detected as Felix does), legacy or nft',
    default: P.iptablesBackend,
    choices: ['auto', 'legacy', 'nft'],
  },
  {
    key: 'iptablesLockWait',
    flag: '--iptables-lock-wait <seconds>',
    kind: 'int',
    help: 'iptables-restore --wait: seconds to wait for the xtables lock',
    default: String(P.lockWaitSeconds),
  },
  {
    key: 'policyIpv6',
    flag: '--policy-ipv6 <bool>',
    kind: 'bool',
    help: 'also program ip6tables and IPv6 ipsets (dual-stack pods)',
    default: String(P.families.includes(6)),
  },
  {
    key: 'workloadRouteProtocol',
    flag: '--workload-route-protocol <n>',
    kind: 'int',
    help: "route protocol of workload routes (Felix's DeviceRouteProtocol; 3 = boot)",
    default: String(P.workloadRouteProtocol),
  },
  {
    key: 'felixGuardRepairs',
    flag: '--felix-guard-repairs <n>',
    kind: 'int',
    help: 'exit when our iptables chains were rewritten by someone else this many times within 10 minutes (0 = never)',
    default: String(P.felixGuardRepairs),
  },
  ...httpEndpointOptions('health', D.health),
  ...httpEndpointOptions('metrics', D.metrics),
]

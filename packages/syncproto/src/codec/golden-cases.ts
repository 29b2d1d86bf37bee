/**
 * Fixed inputs of the golden-bytes test (`golden.test.ts`); their expected encodings live in
 * `testdata/golden-frames.json`. Changing an input or its bytes is a wire change: review it as one.
 */
import type { KVUpdate } from '@cattail/model'
import type { Message } from '../messages/types.js'
import type { EncodeFrameOptions } from './encode.js'

const wep: KVUpdate = {
  key: 'cluster-b/WorkloadEndpoint/default/node1-k8s-nginx-eth0',
  revision: '1234',
  value: {
    kind: 'WorkloadEndpoint',
    metadata: { name: 'node1-k8s-nginx-eth0', namespace: 'default', labels: { app: 'nginx' } },
    spec: {
      orchestrator: 'k8s',
      node: 'cluster-b/node1',
      endpoint: 'eth0',
      ipNetworks: ['198.19.1.5/32'],
      profiles: ['cluster-b/kns.default'],
    },
  },
}

const node: KVUpdate = {
  key: 'Node/node1',
  revision: '7',
  value: {
    kind: 'Node',
    metadata: { name: 'node1' },
    spec: { ipv4VXLANTunnelAddr: '198.19.0.1', vxlanTunnelMACAddr: '66:00:00:00:00:01' },
  },
}

const deletion: KVUpdate = { key: 'Profile/kns.gone', revision: '8', value: undefined }

/** The KVs used by the KV-blob golden cases. */
export const GOLDEN_KVS: Readonly<Record<string, KVUpdate>> = { wep, node, deletion }

/** One golden frame case per message shape. */
export const GOLDEN_FRAMES: Readonly<Record<string, Message>> = {
  'client-hello': {
    type: 'client-hello',
    versions: [1],
    features: ['resume', 'remote-status'],
    nodeName: 'node1',
    syncerType: 'mesh',
    clientVersion: '0.1.0',
    snapshotCompression: ['deflate', 'none'],
  },
  'client-hello-resume': {
    type: 'client-hello',
    versions: [1],
    features: ['resume'],
    nodeName: 'node1',
    syncerType: 'mesh',
    clientVersion: '0.1.0',
    snapshotCompression: ['deflate'],
    resume: { epoch: 'e-1', seq: 4294967296 },
  },
  'server-hello': {
    type: 'server-hello',
    version: 1,
    features: ['resume'],
    epoch: 'e-1',
    encoding: 'msgpack',
    snapshotCompression: 'deflate',
    mode: 'snapshot',
    syncerType: 'mesh',
    serverConnId: '17',
    serverVersion: '0.1.0',
  },
  'snapshot-chunk': {
    type: 'snapshot-chunk',
    seq: 42,
    index: 0,
    last: false,
    updates: [wep, node],
  },
  'snapshot-chunk-empty': { type: 'snapshot-chunk', seq: 0, index: 0, last: true, updates: [] },
  deltas: { type: 'deltas', firstSeq: 43, seq: 45, updates: [node, deletion] },
  'deltas-deflate': { type: 'deltas', firstSeq: 43, seq: 45, updates: [wep, node, deletion] },
  status: {
    type: 'status',
    status: 'in-sync',
    remotes: {
      'cluster-b': { status: 'InSync' },
      'cluster-c': { status: 'ConnectionFailed', error: 'dial tcp: refused' },
    },
  },
  ping: { type: 'ping', timestampMs: 1_790_000_000_000 },
  pong: { type: 'pong', pingTimestampMs: 1_790_000_000_000, pongTimestampMs: 1_790_000_000_003 },
  'go-away': {
    type: 'go-away',
    reason: 'shedding',
    message: 'rebalancing',
    reconnectAfterMs: 1500,
  },
  'go-away-min': { type: 'go-away', reason: 'shutdown' },
}

/** Encode options of the cases that need them (the rest use the defaults). */
export const GOLDEN_FRAME_OPTIONS: Readonly<Record<string, EncodeFrameOptions>> = {
  'deltas-deflate': { deltasCompression: 'deflate' },
}

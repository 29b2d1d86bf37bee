import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { formatStatus, statusDocument, type StatusReport } from './status-report.js'

const report: StatusReport = {
  addresses: ['ws://127.0.0.1:5473'],
  status: 'in-sync',
  remotes: {
    'cluster-b': { status: 'InSync' },
    'cluster-c': { status: 'ConfigIncomplete', error: 'clusterAccessSecret missing' },
  },
  counts: new Map([['cluster-b', new Map([['WorkloadEndpoint', 3]])]]),
  guards: new Map([
    [
      'cluster-b',
      {
        rejected: { 'overlaps-underlay': 2, 'bad-vtep-mac': 1 },
        lastRejection: 'IPPool cluster-b/evil overlaps the node address 198.18.0.1',
        vtepMacConflicts: ['cluster-b/node1'],
      },
    ],
  ]),
}

void describe('cattail status report', () => {
  void it('shows what the mesh refused of a remote and its VTEP MAC conflicts, with the fix', () => {
    const text = formatStatus(report, Date.now())
    assert.match(text, /refused objects: overlaps-underlay=2 bad-vtep-mac=1/)
    assert.match(text, /last refusal: IPPool cluster-b\/evil overlaps the node address/)
    assert.match(
      text,
      /VTEP MAC conflicts: cluster-b\/node1 \(publish vxlanTunnelMACAddr on one of them\)/
    )
    assert.match(text, /last error: clusterAccessSecret missing/)
    const doc = statusDocument(report, Date.now())
    const b = doc.remotes.find((r) => r.name === 'cluster-b')
    assert.deepEqual(b?.rejected, { 'overlaps-underlay': 2, 'bad-vtep-mac': 1 })
    assert.deepEqual(b?.vtepMacConflicts, ['cluster-b/node1'])
    assert.equal(doc.remotes.find((r) => r.name === 'cluster-c')?.rejected, undefined)
    assert.equal(doc.healthy, false)
  })
})

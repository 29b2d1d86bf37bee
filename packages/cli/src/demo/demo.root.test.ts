import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { runDemo } from './demo.js'

const isRoot = process.getuid?.() === 0

describe(
  'cattail demo (root, netns, etcd)',
  { skip: isRoot ? false : 'needs root for network namespaces' },
  () => {
    it('walks through the two-cluster mesh and removes everything it made', async () => {
      const lines: string[] = []
      await runDemo({ hold: false, out: (l) => lines.push(l) })
      const text = lines.join('\n')
      assert.match(text, /Creating syncer for RemoteClusterConfiguration\(east\)/)
      assert.match(text, /Sending in-sync update for RemoteClusterConfiguration\(east\)/)
      assert.match(text, /east\s+InSync/)
      assert.match(text, /198\.19\.64\.0\/26 via 198\.19\.64\.1 dev vxlan\.calico onlink/)
      assert.match(text, /received "hello from west" from 198\.19\.0\.2:/)
      assert.match(text, /route to 198\.19\.64\.0\/26 withdrawn/)
      assert.match(text, /done: removing namespaces and processes/)
    })
  }
)

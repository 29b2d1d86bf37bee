import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { loadKubeConfig } from '@cattail/kubeconfig'
import { KubeApi } from './kube-api.js'

void describe('KubeApi', () => {
  void it("sets client-node's watch idle timeout (its 30 s default would cut quiet watches)", () => {
    const kc = loadKubeConfig({
      kind: 'inline',
      contents:
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    })
    const api = new KubeApi(kc, 1000, 180_000)
    // a private field of client-node's Watch: this fails when a client-node release renames it
    assert.equal(
      (api.watcher as unknown as { requestTimeoutMs: unknown }).requestTimeoutMs,
      180_000
    )
  })
})

/**
 * Real kubectl for the test API server's own tests (`KUBECTL_BIN` overrides /usr/bin/kubectl):
 * `kubectl(...)` answers with the exit code and both streams, `ok(...)` asserts success.
 */
import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'

/** The kubectl binary the tests run. */
export const KUBECTL = process.env['KUBECTL_BIN'] ?? '/usr/bin/kubectl'

/** One kubectl run. */
export interface KubectlRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** kubectl against the kubeconfig `kubeconfig()` names at call time (tests set it in `before`). */
export function kubectlRunner(kubeconfig: () => string): {
  readonly kubectl: (...args: string[]) => Promise<KubectlRun>
  readonly ok: (...args: string[]) => Promise<string>
} {
  const kubectl = (...args: string[]): Promise<KubectlRun> =>
    new Promise((resolve) => {
      execFile(
        KUBECTL,
        ['--kubeconfig', kubeconfig(), ...args],
        { timeout: 30_000 },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
          resolve({ code, stdout, stderr })
        }
      )
    })
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args)
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`)
    return r.stdout
  }
  return { kubectl, ok }
}

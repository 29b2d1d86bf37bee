/**
 * Kubeconfig YAML for a test API server, usable by @kubernetes/client-node and kubectl.
 */

/** What goes into a kubeconfig. */
export interface KubeconfigParams {
  readonly server: string
  /** PEM CA certificate; omitted for plain http (then `insecure-skip-tls-verify` is set). */
  readonly caCert?: string
  readonly token: string
  /** Cluster, user and context name. @default 'cattail-test' */
  readonly name?: string
  /** Default namespace of the context. */
  readonly namespace?: string
}

/** Renders a single-context kubeconfig (YAML; JSON-compatible quoting). */
export function renderKubeconfig(p: KubeconfigParams): string {
  const name = p.name ?? 'cattail-test'
  const q = (s: string): string => JSON.stringify(s)
  const cluster =
    p.caCert !== undefined
      ? `    certificate-authority-data: ${q(Buffer.from(p.caCert).toString('base64'))}\n`
      : `    insecure-skip-tls-verify: true\n`
  return (
    `apiVersion: v1\nkind: Config\n` +
    `clusters:\n- name: ${q(name)}\n  cluster:\n    server: ${q(p.server)}\n${cluster}` +
    `users:\n- name: ${q(name)}\n  user:\n    token: ${q(p.token)}\n` +
    `contexts:\n- name: ${q(name)}\n  context:\n    cluster: ${q(name)}\n    user: ${q(name)}\n` +
    (p.namespace !== undefined ? `    namespace: ${q(p.namespace)}\n` : '') +
    `current-context: ${q(name)}\n`
  )
}

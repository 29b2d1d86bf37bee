/**
 * iptables backend selection as Felix does it (`felix/environment/feature_detect_linux.go
 * DetectBackend`): an explicit `legacy`/`nft` wins; `auto` picks the backend whose mangle table
 * holds Kubernetes' marker chains (`KUBE-IPTABLES-HINT`, `KUBE-KUBELET-CANARY`; nft checked first),
 * and otherwise the one holding more rules (a tie goes to nft, the distribution default here).
 */

/** The configured backend. */
export type IptablesBackendMode = 'auto' | 'legacy' | 'nft'

/** The backend in use. */
export type IptablesBackend = 'legacy' | 'nft'

/** What was counted for `auto`. */
export interface BackendEvidence {
  /** Lines of `iptables-*-save -t mangle` (both families) naming a Kubernetes marker chain. */
  readonly legacyKubeLines: number
  readonly nftKubeLines: number
  /** `-A` lines of `iptables-*-save` (both families, all tables). */
  readonly legacyRules: number
  readonly nftRules: number
}

/** Kubernetes' marker chains in mangle (kubelet / kube-proxy). */
export const KUBE_MARKER_CHAINS: readonly string[] = ['KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY']

/** Counts lines of a save dump that mention a Kubernetes marker chain. */
export function countKubeLines(save: string): number {
  return save.split('\n').filter((l) => KUBE_MARKER_CHAINS.some((c) => l.includes(c))).length
}

/** Counts `-A` lines of a save dump. */
export function countRules(save: string): number {
  return save.split('\n').filter((l) => l.startsWith('-A ')).length
}

/** The decision, from evidence (pure: see the file comment). */
export function decideBackend(e: BackendEvidence): IptablesBackend {
  if (e.nftKubeLines > 0) return 'nft'
  if (e.legacyKubeLines > 0) return 'legacy'
  return e.legacyRules > e.nftRules ? 'legacy' : 'nft'
}

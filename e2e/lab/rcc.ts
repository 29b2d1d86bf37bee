/**
 * The RemoteClusterConfigurations of the e2e: RCCs that read their connection from a Secret in
 * {@link SECRETS_NS}, and the CRD object kubectl applies for one.
 */
import type { RemoteClusterConfiguration } from '@cattail/model'
import type { KubeManifest } from './clusters.js'

/** The namespace holding RCC access Secrets in every cluster. */
export const SECRETS_NS = 'cattail-system'

/** An RCC that reads its connection from a Secret in {@link SECRETS_NS}. */
export function secretRcc(
  name: string,
  secret: string,
  overlay: 'Enabled' | 'Disabled'
): RemoteClusterConfiguration {
  return {
    kind: 'RemoteClusterConfiguration',
    metadata: { name },
    spec: {
      clusterAccessSecret: { kind: 'Secret', name: secret, namespace: SECRETS_NS },
      syncOptions: { overlayRoutingMode: overlay },
    },
  }
}

/** An RCC as the CRD object kubectl applies in a Kubernetes datastore. */
export function rccManifest(r: RemoteClusterConfiguration): KubeManifest {
  return {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'RemoteClusterConfiguration',
    metadata: { name: r.metadata.name },
    spec: r.spec,
  }
}

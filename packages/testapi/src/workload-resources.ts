/**
 * Served resources that only install-time tests need: the kinds in cattail's manifests
 * (Deployments, DaemonSets, PodDisruptionBudgets, CustomResourceDefinitions), so that
 * `kubectl apply --dry-run=server -k docker/manifests/` runs against the test API server. They are
 * stored like any other resource; nothing runs them.
 */
import type { ServedResource } from './served-resources.js'

/** Workload and install kinds. */
export const WORKLOAD_RESOURCES: readonly ServedResource[] = [
  {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    status: true,
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'daemonsets',
    singular: 'daemonset',
    kind: 'DaemonSet',
    namespaced: true,
    shortNames: ['ds'],
    status: true,
  },
  {
    group: 'policy',
    version: 'v1',
    plural: 'poddisruptionbudgets',
    singular: 'poddisruptionbudget',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    shortNames: ['pdb'],
    status: true,
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    singular: 'customresourcedefinition',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    status: true,
  },
]

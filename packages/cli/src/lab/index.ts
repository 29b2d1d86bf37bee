/** Network lab (namespaces) and process runner for the demo and the e2e tests. */
export * from './netlab.js'
export * from './mesh-lab.js'

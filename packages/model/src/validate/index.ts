/** Validation of untrusted Calico objects and address helpers. */
export * from './parse-resource.js'
export * from './net.js'
export * from './names.js'

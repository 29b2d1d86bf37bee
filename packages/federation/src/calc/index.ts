/** The pure federation calc: classification, parsing, selection and the objects to write. */
export * from './types.js'
export * from './classify.js'
export * from './parse.js'
export * from './federate.js'
